/** Ad hoc cost figures over metering for the API: totals per group for a window, and the chart of their daily series. */
import type { Pool } from 'pg';
import type { NodeClass } from '../../config/node-classes';
import { renderCostChart, seriesFromRows, type ChartSeries } from '../../cost-model/chart-svg';
import { costByGroup, type CostGroupBy, type CostRow } from '../../db/stores/cost-queries';
import { addDays, isoDay } from '../../cost-model/forecast';
import { dollarsToMicros, formatUsd } from '../../cost-model/money';
import { timed } from '../server-timing';

/** One query of `GET /v1/costs`. */
export interface AdHocCostQuery {
  from: Date;
  to: Date;
  groupBy: CostGroupBy;
  nodeClass?: string;
}

function prices(nodeClasses: readonly NodeClass[]): Map<string, number> {
  return new Map(nodeClasses.map((c) => [c.name, dollarsToMicros(c.pricePerHour)]));
}

/** Totals per group, largest first, with display strings; money in micro-dollars. */
export async function adHocCosts(db: Pool, nodeClasses: readonly NodeClass[], q: AdHocCostQuery) {
  const rows = await timed('cost-sql', () => costByGroup(db, { ...q, prices: prices(nodeClasses) }));
  const groups = rows
    .sort((a, b) => b.totalMicros - a.totalMicros || a.key.localeCompare(b.key))
    .map((r) => ({ ...r, display: display(r) }));
  const totals = rows.reduce(
    (t, r) => ({
      attempts: t.attempts + r.attempts,
      failedAttempts: t.failedAttempts + r.failedAttempts,
      ms: t.ms + r.ms,
      computeMicros: t.computeMicros + r.computeMicros,
      wasteMicros: t.wasteMicros + r.wasteMicros,
      totalMicros: t.totalMicros + r.totalMicros,
    }),
    { attempts: 0, failedAttempts: 0, ms: 0, computeMicros: 0, wasteMicros: 0, totalMicros: 0 },
  );
  return { currency: 'USD', groups, totals: { ...totals, display: display(totals) } };
}

function display(r: Pick<CostRow, 'computeMicros' | 'wasteMicros' | 'totalMicros'>) {
  return { compute: formatUsd(r.computeMicros), waste: formatUsd(r.wasteMicros), total: formatUsd(r.totalMicros) };
}

/** Each group's daily cost over the window's UTC days: the largest 8 groups, the rest summed as "other (n)". */
export async function adHocSeries(
  db: Pool,
  nodeClasses: readonly NodeClass[],
  q: AdHocCostQuery,
): Promise<{ days: string[]; series: ChartSeries[] }> {
  const rows = await timed('cost-sql', () => costByGroup(db, { ...q, prices: prices(nodeClasses), byDay: true }));
  const days: string[] = [];
  const last = isoDay(new Date(q.to.getTime() - 1));
  for (let day = isoDay(q.from); day <= last; day = addDays(day, 1)) days.push(day);
  const series = seriesFromRows(
    rows.map((r) => ({ key: r.key, day: r.day!, micros: r.totalMicros })),
    days,
  );
  return { days, series };
}

/** The SVG chart of each group's daily cost over the window's UTC days. */
export async function adHocChart(db: Pool, nodeClasses: readonly NodeClass[], q: AdHocCostQuery): Promise<string> {
  const { days, series } = await adHocSeries(db, nodeClasses, q);
  return timed('cost-render', async () =>
    renderCostChart(`Daily cost by ${q.groupBy}, ${days[0]} to ${days[days.length - 1]}`, days, series),
  );
}
