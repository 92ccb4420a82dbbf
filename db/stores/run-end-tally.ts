/**
 * The running total of ended runs by kind and status (migration 0013): a watermark says up to when closed runs are
 * counted, and one statement moves it and adds the counts of the window, so concurrent API processes never count a
 * window twice and all read the same totals.
 */
import type { Pool } from 'pg';

/** Ended runs of one window or in total, keyed by kind then status. */
export type RunEndCounts = Array<{ kind: string; status: string; count: number }>;

/** The watermark, created at `initial` the first time it is read (runs that closed before are not counted). */
export async function readRunEndWatermark(db: Pool, initial: Date): Promise<Date> {
  // Two statements: in one, a process whose insert lost the race to another's would not see the row it lost to.
  await db.query('INSERT INTO run_end_watermark (id, counted_until) VALUES (true, $1) ON CONFLICT (id) DO NOTHING', [
    initial,
  ]);
  const { rows } = await db.query('SELECT counted_until FROM run_end_watermark WHERE id');
  return rows[0].counted_until as Date;
}

/**
 * Moves the watermark from `from` to `to` and adds `counts`, if no other process moved it first; true when this
 * call did (else the counts are dropped: the other process counted the same window).
 */
export async function advanceRunEndTally(db: Pool, from: Date, to: Date, counts: RunEndCounts): Promise<boolean> {
  const { rows } = await db.query(
    `WITH moved AS (
       UPDATE run_end_watermark SET counted_until = $2 WHERE id AND counted_until = $1 RETURNING 1),
     added AS (
       INSERT INTO run_end_tally (kind, status, total)
       SELECT kind, status, n FROM unnest($3::text[], $4::text[], $5::bigint[]) AS c(kind, status, n)
       WHERE EXISTS (SELECT 1 FROM moved)
       ON CONFLICT (kind, status) DO UPDATE SET total = run_end_tally.total + excluded.total)
     SELECT count(*)::int AS moved FROM moved`,
    [from, to, counts.map((c) => c.kind), counts.map((c) => c.status), counts.map((c) => c.count)],
  );
  return rows[0].moved === 1;
}

/** The totals so far. */
export async function runEndTotals(db: Pool): Promise<RunEndCounts> {
  const { rows } = await db.query('SELECT kind, status, total FROM run_end_tally ORDER BY kind, status');
  return rows.map((r) => ({ kind: r.kind as string, status: r.status as string, count: Number(r.total) }));
}
