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
  /** False when the caller sorts the rows itself, which spares the database a sort of every key (10,000 runs). */
  ordered?: boolean;
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

/** The largest value PostgreSQL's bigint holds. */
const MAX_BIGINT = 2n ** 63n - 1n;

/**
 * The longest duration (ms) whose `duration × price + 30 min` still fits a bigint at the highest price, so the
 * per-attempt arithmetic can stay in bigint, several times faster than numeric; longer attempts take the numeric path.
 */
function bigintSafeMs(prices: ReadonlyMap<string, number>): string {
  const highest = BigInt(Math.max(0, ...prices.values()));
  return (highest === 0n ? MAX_BIGINT : (MAX_BIGINT - 1_800_000n) / highest).toString();
}

/**
 * The priced aggregation of `costByGroup` as SQL text and parameters (the bench EXPLAINs it). Each attempt costs
 * floor((duration × price + 30 min) / 1 h), the same half-up rounding as `div(duration × price × 2 + 1 h, 2 h)`, summed
 * per group in bigint, and in numeric only for an attempt too long for that (its sums come as the `_long` columns,
 * NULL when there is none). The price is a CASE over the bound class names rather than a join: the aggregation, not
 * the scan, is where the time goes (EXPLAIN ANALYZE in `npm run bench:costs`).
 */
export function costByGroupStatement(query: CostQuery): { text: string; values: unknown[] } {
  const params: unknown[] = [query.from, query.to, bigintSafeMs(query.prices)];
  const whens = [...query.prices].map(
    ([name, micros]) => `WHEN $${params.push(name)} THEN $${params.push(micros)}::bigint`,
  );
  const price = whens.length === 0 ? '0::bigint' : `(CASE a.node_class ${whens.join(' ')} ELSE 0::bigint END)`;
  const key = keySql(query.groupBy, params);
  const day = query.byDay ? `, to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day` : '';
  const filters = ['a.started_at >= $1', 'a.started_at < $2', 'a.duration_ms IS NOT NULL'];
  if (query.nodeClass !== undefined) filters.push(`a.node_class = $${params.push(query.nodeClass)}`);
  const short = `(a.duration_ms * ${price} + 1800000) / 3600000`;
  const long = `div(a.duration_ms::numeric * ${price} + 1800000, 3600000)`;
  const sums = (name: string, outcome: string) =>
    `sum(${short}) FILTER (WHERE a.duration_ms <= $3::bigint AND a.outcome ${outcome}) AS ${name},
     sum(${long}) FILTER (WHERE a.duration_ms > $3::bigint AND a.outcome ${outcome}) AS ${name}_long`;
  const groupBy = day === '' ? '1' : '1, 2';
  return {
    text: `SELECT ${key} AS key${day}, count(*)::int AS attempts,
       count(*) FILTER (WHERE a.outcome <> 'succeeded')::int AS failed_attempts,
       sum(a.duration_ms) AS ms,
       ${sums('compute_micros', "= 'succeeded'")},
       ${sums('waste_micros', "<> 'succeeded'")}
     FROM task_attempts a
     LEFT JOIN runs r ON r.run_id = a.run_id
     WHERE ${filters.join(' AND ')}
     GROUP BY ${groupBy}${query.ordered === false ? '' : ` ORDER BY ${groupBy}`}`,
    values: params,
  };
}

/** Aggregates attempt cost over [from, to) by the grouping, ordered by key (and day) unless asked not to. */
export async function costByGroup(db: Pool, query: CostQuery): Promise<CostRow[]> {
  const statement = costByGroupStatement(query);
  const { rows } = await db.query(statement.text, statement.values);
  // numeric arrives as text; a NULL sum is a group with no such attempt.
  const micros = (short: string | null, long: string | null) => Number(short ?? 0) + Number(long ?? 0);
  return rows.map((r) => {
    const computeMicros = micros(r.compute_micros, r.compute_micros_long);
    const wasteMicros = micros(r.waste_micros, r.waste_micros_long);
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
