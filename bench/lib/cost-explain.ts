/** `BENCH_COST_EXPLAIN=1`: EXPLAIN (ANALYZE, BUFFERS) of the API's priced query and the raw aggregate, grouping by grouping. */
import type { Pool } from 'pg';
import type { NodeClass } from '../../config/node-classes';
import { dollarsToMicros } from '../../cost-model/money';
import { costByGroupStatement, type CostGroupBy } from '../../db/stores/cost-queries';
import { GROUPINGS, rawAggregate } from './cost-cases';

async function plan(db: Pool, sql: string, values: unknown[]): Promise<string> {
  const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, values);
  return rows.map((r: Record<string, string>) => `    ${r['QUERY PLAN']}`).join('\n');
}

/** The plans of every grouping's priced and raw query over the window, as text. */
export async function explainCosts(
  db: Pool,
  nodeClasses: readonly NodeClass[],
  window: { from: Date; to: Date },
): Promise<string> {
  const prices = new Map(nodeClasses.map((c) => [c.name, dollarsToMicros(c.pricePerHour)]));
  const out: string[] = [];
  for (const groupBy of GROUPINGS) {
    const priced = costByGroupStatement({ ...window, groupBy: groupBy as CostGroupBy, prices });
    const raw = rawAggregate(groupBy, {});
    // Once each first, so both plans run warm.
    await db.query(priced.text, priced.values);
    await db.query(raw.sql, [window.from, window.to, ...raw.params]);
    out.push(`== groupBy=${groupBy}: priced`, await plan(db, priced.text, priced.values));
    out.push(`== groupBy=${groupBy}: raw`, await plan(db, raw.sql, [window.from, window.to, ...raw.params]));
  }
  return `${out.join('\n')}\n\n`;
}
