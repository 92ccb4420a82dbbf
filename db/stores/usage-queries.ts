/** Usage of machine time from the metering table, aggregated by node class, run, day or a label over a time window. */
import type { Pool } from 'pg';

/** What usage can be grouped by: a fixed dimension or `label:<key>`. */
export type UsageGroupBy = 'nodeClass' | 'run' | 'day' | `label:${string}`;

/** One group's figures. Seconds of attempts still running count up to now. */
export interface UsageGroup {
  key: string;
  attempts: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  lost: number;
  error: number;
  running: number;
  seconds: number;
  /** Seconds of attempts that did not succeed: the cost of failures and retries. */
  wastedSeconds: number;
}

/** The query of `GET /v1/usage`. */
export interface UsageQuery {
  from: Date;
  to: Date;
  groupBy: UsageGroupBy;
  runId?: string;
  nodeClass?: string;
}

/** A row of the metering table as the API shows it. */
export interface AttemptRecord {
  runId: string;
  taskId: string;
  attempt: number;
  runKind: string;
  nodeClass: string;
  worker: string;
  labels: Record<string, string>;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  outcome: string;
  exitCode: number | null;
  detail: string | null;
}

// The key expression per dimension: fixed SQL, never text from the request (a label key is a bound parameter).
const KEY_SQL: Record<'nodeClass' | 'run' | 'day', string> = {
  nodeClass: 'node_class',
  run: 'run_id',
  day: `to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

const SECONDS_SQL = `COALESCE(duration_ms, GREATEST(0, EXTRACT(EPOCH FROM (now() - started_at)) * 1000)) / 1000.0`;

/** Aggregates attempts that started inside [from, to). */
export async function usageByGroup(
  db: Pool,
  query: UsageQuery,
): Promise<{ groups: UsageGroup[]; totals: Omit<UsageGroup, 'key'> }> {
  const params: unknown[] = [query.from, query.to];
  let keySql: string;
  if (query.groupBy.startsWith('label:')) {
    params.push(query.groupBy.slice('label:'.length));
    keySql = `COALESCE(labels ->> $${params.length}, '(none)')`;
  } else {
    keySql = KEY_SQL[query.groupBy as keyof typeof KEY_SQL];
  }
  const filters = ['started_at >= $1', 'started_at < $2'];
  if (query.runId !== undefined) filters.push(`run_id = $${params.push(query.runId)}`);
  if (query.nodeClass !== undefined) filters.push(`node_class = $${params.push(query.nodeClass)}`);
  const { rows } = await db.query(
    `SELECT ${keySql} AS key, count(*)::int AS attempts,
       count(*) FILTER (WHERE outcome = 'succeeded')::int AS succeeded,
       count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
       count(*) FILTER (WHERE outcome = 'timed_out')::int AS timed_out,
       count(*) FILTER (WHERE outcome = 'cancelled')::int AS cancelled,
       count(*) FILTER (WHERE outcome = 'lost')::int AS lost,
       count(*) FILTER (WHERE outcome = 'error')::int AS error,
       count(*) FILTER (WHERE outcome = 'running')::int AS running,
       COALESCE(sum(${SECONDS_SQL}), 0)::float8 AS seconds,
       COALESCE(sum(${SECONDS_SQL}) FILTER (WHERE outcome NOT IN ('succeeded', 'running')), 0)::float8 AS wasted_seconds
     FROM task_attempts WHERE ${filters.join(' AND ')} GROUP BY 1 ORDER BY 1`,
    params,
  );
  const groups: UsageGroup[] = rows.map((r) => ({
    key: r.key,
    attempts: r.attempts,
    succeeded: r.succeeded,
    failed: r.failed,
    timedOut: r.timed_out,
    cancelled: r.cancelled,
    lost: r.lost,
    error: r.error,
    running: r.running,
    seconds: round3(r.seconds),
    wastedSeconds: round3(r.wasted_seconds),
  }));
  const totals = groups.reduce(
    (sum, g) => {
      for (const field of Object.keys(sum) as Array<keyof typeof sum>) sum[field] += g[field];
      return sum;
    },
    {
      attempts: 0,
      succeeded: 0,
      failed: 0,
      timedOut: 0,
      cancelled: 0,
      lost: 0,
      error: 0,
      running: 0,
      seconds: 0,
      wastedSeconds: 0,
    },
  );
  totals.seconds = round3(totals.seconds);
  totals.wastedSeconds = round3(totals.wastedSeconds);
  return { groups, totals };
}

/** Every metered attempt of one run, in start order. */
export async function attemptsOfRun(db: Pool, runId: string): Promise<AttemptRecord[]> {
  const { rows } = await db.query(
    `SELECT run_id, task_id, attempt, run_kind, node_class, worker, labels, started_at, ended_at, duration_ms, outcome, exit_code, detail
     FROM task_attempts WHERE run_id = $1 ORDER BY started_at, task_id, attempt`,
    [runId],
  );
  return rows.map((r) => ({
    runId: r.run_id,
    taskId: r.task_id,
    attempt: r.attempt,
    runKind: r.run_kind,
    nodeClass: r.node_class,
    worker: r.worker,
    labels: r.labels,
    startedAt: r.started_at.toISOString(),
    endedAt: r.ended_at?.toISOString() ?? null,
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    outcome: r.outcome,
    exitCode: r.exit_code,
    detail: r.detail,
  }));
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
