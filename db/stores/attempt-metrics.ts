/**
 * Aggregates of the metering table for Prometheus: attempts per node class and outcome, and cumulative histogram
 * buckets of attempt duration and queue wait, all from one scan. Every figure only grows as attempts are recorded,
 * so each API process computing it at scrape time exposes the same, monotonic counters.
 */
import type { Pool } from 'pg';

/** Bucket bounds (seconds) of the attempt duration histogram. */
export const DURATION_BUCKETS_S = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200] as const;

/** Bucket bounds (seconds) of the queue wait histogram. */
export const QUEUE_WAIT_BUCKETS_S = [0.05, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] as const;

/** Cumulative counts of one histogram series: `buckets[i]` counts observations ≤ the i-th bound. */
export interface HistogramCounts {
  buckets: number[];
  count: number;
  sumSeconds: number;
}

/** One node class and outcome's figures. */
export interface AttemptGroup {
  nodeClass: string;
  /** `running` for attempts not ended yet (no duration, but a queue wait). */
  outcome: string;
  attempts: number;
  /** Ended attempts only. */
  duration: HistogramCounts;
  /** Attempts that recorded a queue wait (those metered before migration 0013 did not). */
  queueWait: HistogramCounts;
}

// Bounds are constants of this file, never input, so they are written into the SQL as numbers of milliseconds.
function bucketColumns(column: string, bounds: readonly number[], alias: string): string {
  return bounds
    .map((b, i) => `count(*) FILTER (WHERE ${column} <= ${Math.round(b * 1000)})::bigint AS ${alias}${i}`)
    .join(',\n       ');
}

const STATEMENT = `SELECT node_class, outcome, count(*)::bigint AS attempts,
       count(duration_ms)::bigint AS d_count, COALESCE(sum(duration_ms), 0)::bigint AS d_sum,
       ${bucketColumns('duration_ms', DURATION_BUCKETS_S, 'd')},
       count(queue_wait_ms)::bigint AS w_count, COALESCE(sum(queue_wait_ms), 0)::bigint AS w_sum,
       ${bucketColumns('queue_wait_ms', QUEUE_WAIT_BUCKETS_S, 'w')}
     FROM task_attempts GROUP BY node_class, outcome`;

/** Reads every (node class, outcome) group of the metering table with its histogram buckets. */
export async function attemptGroups(db: Pool): Promise<AttemptGroup[]> {
  const { rows } = await db.query(STATEMENT);
  return rows.map((r) => ({
    nodeClass: r.node_class as string,
    outcome: r.outcome as string,
    attempts: Number(r.attempts),
    duration: {
      buckets: DURATION_BUCKETS_S.map((_, i) => Number(r[`d${i}`])),
      count: Number(r.d_count),
      sumSeconds: Number(r.d_sum) / 1000,
    },
    queueWait: {
      buckets: QUEUE_WAIT_BUCKETS_S.map((_, i) => Number(r[`w${i}`])),
      count: Number(r.w_count),
      sumSeconds: Number(r.w_sum) / 1000,
    },
  }));
}

/** Runs recorded as started, per kind (the `runs` table, which every way of starting a run writes). */
export async function runsStartedByKind(db: Pool): Promise<Map<string, number>> {
  const { rows } = await db.query('SELECT kind, count(*)::bigint AS n FROM runs GROUP BY kind');
  return new Map(rows.map((r) => [r.kind as string, Number(r.n)]));
}
