/**
 * What `npm run bench:costs` asks: every grouping `GET /v1/costs` accepts, alone, filtered by node class, with the
 * daily series the console draws, and as `chart.svg`; each beside the raw SQL of the same aggregate.
 */

/** One timed request and its baseline. */
export interface CostCase {
  label: string;
  /** Path and query string, without the window, which the bench appends. */
  path: string;
  /** The baseline: the same rows grouped by the same key, counted and their durations summed, no pricing, no HTTP. */
  raw: { sql: string; params: unknown[] };
}

/** The groupings the API accepts (`label:<k>` for the three keys the daily report uses). */
export const GROUPINGS = [
  'nodeClass',
  'run',
  'name',
  'kind',
  'day',
  'label:team',
  'label:project',
  'label:environment',
];

/** The node class the filtered cases keep (a third of the attempts in the seeded week). */
export const FILTER_CLASS = 'highmem';

// The same key expressions as db/stores/cost-queries.ts, so the baseline groups exactly the rows the API groups.
const KEYS: Record<string, { sql: string; runs: boolean }> = {
  nodeClass: { sql: 'a.node_class', runs: false },
  run: { sql: 'a.run_id', runs: false },
  name: { sql: `COALESCE(r.name, '(unnamed ' || a.run_kind || ')')`, runs: true },
  kind: { sql: 'a.run_kind', runs: false },
  day: { sql: `to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, runs: false },
};

/** The raw aggregate for a grouping: by key (and UTC day for a series), optionally one node class; $1, $2 are the window. */
export function rawAggregate(groupBy: string, options: { byDay?: boolean; nodeClass?: string }): CostCase['raw'] {
  const params: unknown[] = [];
  const label = groupBy.startsWith('label:') ? groupBy.slice('label:'.length) : undefined;
  let key = KEYS[groupBy];
  if (label !== undefined) {
    params.push(label);
    key = { sql: `COALESCE(a.labels ->> $3, r.labels ->> $3, '(none)')`, runs: true };
  }
  if (key === undefined) throw new Error(`no baseline for groupBy ${groupBy}`);
  const filters = ['a.started_at >= $1', 'a.started_at < $2'];
  if (options.nodeClass !== undefined) filters.push(`a.node_class = $${params.push(options.nodeClass) + 2}`);
  const day = options.byDay ? `, to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : '';
  return {
    sql: `SELECT ${key.sql} AS key${day}, count(*), sum(a.duration_ms) FROM task_attempts a
      ${key.runs ? 'LEFT JOIN runs r ON r.run_id = a.run_id' : ''}
      WHERE ${filters.join(' AND ')} GROUP BY 1${day ? ', 2' : ''}`,
    params,
  };
}

/** Every case, grouping by grouping: plain, filtered by node class, with the daily series, and as a chart. */
export function costCases(): CostCase[] {
  return GROUPINGS.flatMap((g) => [
    { label: `groupBy=${g}`, path: `/v1/costs?groupBy=${g}`, raw: rawAggregate(g, {}) },
    {
      label: `groupBy=${g}&nodeClass=${FILTER_CLASS}`,
      path: `/v1/costs?groupBy=${g}&nodeClass=${FILTER_CLASS}`,
      raw: rawAggregate(g, { nodeClass: FILTER_CLASS }),
    },
    {
      label: `groupBy=${g}&series=day`,
      path: `/v1/costs?groupBy=${g}&series=day`,
      raw: rawAggregate(g, { byDay: true }),
    },
    {
      label: `chart.svg?groupBy=${g}`,
      path: `/v1/costs/chart.svg?groupBy=${g}`,
      raw: rawAggregate(g, { byDay: true }),
    },
  ]);
}
