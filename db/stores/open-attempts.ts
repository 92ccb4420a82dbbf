/** Attempts running now, per node class and worker, read from the metering ledger: the pools' busy slots. */
import type { Pool } from 'pg';

/** Running attempts of one worker of a class. */
export interface OpenAttempts {
  nodeClass: string;
  worker: string;
  running: number;
}

/**
 * Open ledger rows refreshed within `freshSeconds`: a row whose worker died stops being refreshed, so it
 * no longer counts as a busy slot even before the lost-attempt sweeper closes it.
 */
export async function openAttempts(db: Pool, freshSeconds: number): Promise<OpenAttempts[]> {
  const { rows } = await db.query<{ node_class: string; worker: string; running: string }>(
    `SELECT node_class, worker, count(*) AS running FROM task_attempts
     WHERE ended_at IS NULL AND last_seen_at > now() - make_interval(secs => $1)
     GROUP BY node_class, worker`,
    [freshSeconds],
  );
  return rows.map((r) => ({ nodeClass: r.node_class, worker: r.worker, running: Number(r.running) }));
}
