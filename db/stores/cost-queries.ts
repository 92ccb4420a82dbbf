/**
 * Cost of metered attempts, aggregated in PostgreSQL: each closed attempt costs its duration × its
 * node class's price per hour, rounded half up to a micro-dollar per attempt, so any grouping sums
 * to the same total. Attempts are counted on the UTC day they started; open attempts are not counted yet.
 */
import type { Pool } from 'pg';

/** What attempt cost can be grouped by: a fixed dimension or `label:<key>`. */
export type CostGroupBy = 'nodeClass' | 'run' | 'name' | 'kind' | 'day' | `label:${string}`;

/** The fixed dimensions, for validation and documentation. */
export const FIXED_COST_DIMENSIONS = ['nodeClass', 'run', 'name', 'kind', 'day'] as const;

/** One group's figures (per day when asked `byDay`). */
export interface CostRow {
  key: string;
  /** UTC day (YYYY-MM-DD) when grouped by day as well. */
  day?: string;
  attempts: number;
  /** Attempts that did not succeed: failed, timed out, lost, cancelled or errored. */
  failedAttempts: number;
  ms: number;
  /** Cost of succeeded attempts. */
  computeMicros: number;
  /** Cost of attempts that did not succeed: retried or failed work. */
  wasteMicros: number;
  totalMicros: number;
}

/** The window and grouping of one aggregation. */
export interface CostQuery {
  from: Date;
  to: Date;
  groupBy: CostGroupBy;
  /** Micro-dollars per hour of each node class; a class missing here is priced at 0. */
  prices: ReadonlyMap<string, number>;
  byDay?: boolean;
  nodeClass?: string;
}

// Fixed SQL per dimension, never text from a request (a label key is a bound parameter).
const KEY_SQL: Record<(typeof FIXED_COST_DIMENSIONS)[number], string> = {
  nodeClass: 'a.node_class',
  run: 'a.run_id',
  name: `COALESCE(r.name, '(unnamed ' || a.run_kind || ')')`,
  kind: 'a.run_kind',
  day: `to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

/** Half-up rounding of duration × price / 1 h in exact numeric arithmetic. */
const ATTEMPT_MICROS_SQL = 'div(a.duration_ms::numeric * COALESCE(p.micros_per_hour, 0) * 2 + 3600000, 7200000)';

/** The key expression of a grouping and the parameters it binds. */
function keySql(groupBy: CostGroupBy, params: unknown[]): string {
  if (groupBy.startsWith('label:')) {
    const n = params.push(groupBy.slice('label:'.length));
    // The attempt's labels first (a DAG task's), then the run's as started through the API.
    return `COALESCE(a.labels ->> $${n}, r.labels ->> $${n}, '(none)')`;
  }
  return KEY_SQL[groupBy as keyof typeof KEY_SQL];
}

/** The priced aggregation of `costByGroup` as SQL text and parameters (the bench EXPLAINs it). */
export function costByGroupStatement(query: CostQuery): { text: string; values: unknown[] } {
  const classes = [...query.prices.keys()];
  const params: unknown[] = [query.from, query.to, classes, classes.map((c) => query.prices.get(c))];
  const key = keySql(query.groupBy, params);
  const day = query.byDay ? `, to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : '';
  const filters = ['a.started_at >= $1', 'a.started_at < $2', 'a.duration_ms IS NOT NULL'];
  if (query.nodeClass !== undefined) filters.push(`a.node_class = $${params.push(query.nodeClass)}`);
  return {
    text: `WITH price AS (SELECT * FROM unnest($3::text[], $4::bigint[]) AS p(node_class, micros_per_hour)),
     priced AS (
       SELECT ${key} AS key${day ? `${day} AS day` : ''}, a.outcome, a.duration_ms, ${ATTEMPT_MICROS_SQL} AS micros
       FROM task_attempts a
       LEFT JOIN runs r ON r.run_id = a.run_id
       LEFT JOIN price p ON p.node_class = a.node_class
       WHERE ${filters.join(' AND ')}
     )
     SELECT key${day ? ', day' : ''}, count(*)::int AS attempts,
       count(*) FILTER (WHERE outcome <> 'succeeded')::int AS failed_attempts,
       sum(duration_ms)::text AS ms,
       COALESCE(sum(micros) FILTER (WHERE outcome = 'succeeded'), 0)::text AS compute_micros,
       COALESCE(sum(micros) FILTER (WHERE outcome <> 'succeeded'), 0)::text AS waste_micros
     FROM priced GROUP BY key${day ? ', day' : ''} ORDER BY key${day ? ', day' : ''}`,
    values: params,
  };
}

/** Aggregates attempt cost over [from, to) by the grouping, ordered by key (and day). */
export async function costByGroup(db: Pool, query: CostQuery): Promise<CostRow[]> {
  const statement = costByGroupStatement(query);
  const { rows } = await db.query(statement.text, statement.values);
  return rows.map((r) => {
    const computeMicros = Number(r.compute_micros);
    const wasteMicros = Number(r.waste_micros);
    return {
      key: r.key,
      ...(r.day === undefined ? {} : { day: r.day }),
      attempts: r.attempts,
      failedAttempts: r.failed_attempts,
      ms: Number(r.ms),
      computeMicros,
      wasteMicros,
      totalMicros: computeMicros + wasteMicros,
    };
  });
}

/** Busy time and distinct metered workers of each node class in a window. */
export async function classUsage(
  db: Pool,
  from: Date,
  to: Date,
): Promise<Map<string, { busyMs: number; meteredWorkers: number }>> {
  const { rows } = await db.query(
    `SELECT node_class, COALESCE(sum(duration_ms), 0)::text AS busy_ms, count(DISTINCT worker)::int AS workers
     FROM task_attempts WHERE started_at >= $1 AND started_at < $2 AND duration_ms IS NOT NULL GROUP BY node_class`,
    [from, to],
  );
  return new Map(
    rows.map((r) => [r.node_class as string, { busyMs: Number(r.busy_ms), meteredWorkers: r.workers as number }]),
  );
}

/** The task (run name and task id) whose failed attempts cost most in a window, if any failed. */
export async function mostFailingTask(
  db: Pool,
  from: Date,
  to: Date,
  prices: ReadonlyMap<string, number>,
): Promise<{ name: string; taskId: string; failedAttempts: number; wasteMicros: number } | undefined> {
  const classes = [...prices.keys()];
  const { rows } = await db.query(
    `WITH price AS (SELECT * FROM unnest($3::text[], $4::bigint[]) AS p(node_class, micros_per_hour))
     SELECT ${KEY_SQL.name} AS name, a.task_id, count(*)::int AS failed, sum(${ATTEMPT_MICROS_SQL})::text AS waste
     FROM task_attempts a LEFT JOIN runs r ON r.run_id = a.run_id LEFT JOIN price p ON p.node_class = a.node_class
     WHERE a.started_at >= $1 AND a.started_at < $2 AND a.duration_ms IS NOT NULL AND a.outcome <> 'succeeded'
     GROUP BY 1, 2 ORDER BY sum(${ATTEMPT_MICROS_SQL}) DESC, count(*) DESC, 1, 2 LIMIT 1`,
    [from, to, classes, classes.map((c) => prices.get(c))],
  );
  const r = rows[0];
  return r === undefined
    ? undefined
    : { name: r.name, taskId: r.task_id, failedAttempts: r.failed, wasteMicros: Number(r.waste) };
}
