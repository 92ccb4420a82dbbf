/** Ad hoc cost figures over metering for the API: totals per group for a window, and the chart of their daily series. */
import type { Pool } from 'pg';
import type { NodeClass } from '../../config/node-classes';
import { renderCostChart, seriesFromRows, type ChartSeries } from '../../cost-model/chart-svg';
import { costByGroup, type CostGroupBy, type CostRow } from '../../db/stores/cost-queries';
import { addDays, isoDay } from '../../cost-model/forecast';
import { compareText, dollarsToMicros, formatUsd } from '../../cost-model/money';
import { timed } from '../server-timing';

/** One query of `GET /v1/costs`. */
export interface AdHocCostQuery {
  from: Date;
  to: Date;
  groupBy: CostGroupBy;
  nodeClass?: string;
}

type Figures = Omit<CostRow, 'key' | 'day'>;

const ZERO: Figures = { attempts: 0, failedAttempts: 0, ms: 0, computeMicros: 0, wasteMicros: 0, totalMicros: 0 };

function prices(nodeClasses: readonly NodeClass[]): Map<string, number> {
  return new Map(nodeClasses.map((c) => [c.name, dollarsToMicros(c.pricePerHour)]));
}

function add(t: Figures, r: Figures): Figures {
  return {
    attempts: t.attempts + r.attempts,
    failedAttempts: t.failedAttempts + r.failedAttempts,
    ms: t.ms + r.ms,
    computeMicros: t.computeMicros + r.computeMicros,
    wasteMicros: t.wasteMicros + r.wasteMicros,
    totalMicros: t.totalMicros + r.totalMicros,
  };
}

// The rows come unordered (the database need not sort 10,000 run ids); the answer's order is set here.
async function rowsOf(db: Pool, nodeClasses: readonly NodeClass[], q: AdHocCostQuery, byDay: boolean) {
  return timed('cost-sql', () => costByGroup(db, { ...q, prices: prices(nodeClasses), byDay, ordered: false }));
}

function answer(rows: CostRow[]) {
  const groups = rows
    .sort((a, b) => b.totalMicros - a.totalMicros || compareText(a.key, b.key))
    .map((r) => ({ ...r, display: display(r) }));
  const totals = rows.reduce(add, ZERO);
  return { currency: 'USD', groups, totals: { ...totals, display: display(totals) } };
}

function display(r: Pick<CostRow, 'computeMicros' | 'wasteMicros' | 'totalMicros'>) {
  return { compute: formatUsd(r.computeMicros), waste: formatUsd(r.wasteMicros), total: formatUsd(r.totalMicros) };
}

/** Totals per group, largest first, with display strings; money in micro-dollars. */
export async function adHocCosts(db: Pool, nodeClasses: readonly NodeClass[], q: AdHocCostQuery) {
  return answer(await rowsOf(db, nodeClasses, q, false));
}

function windowDays(q: AdHocCostQuery): string[] {
  const days: string[] = [];
  const last = isoDay(new Date(q.to.getTime() - 1));
  for (let day = isoDay(q.from); day <= last; day = addDays(day, 1)) days.push(day);
  return days;
}

function seriesOf(rows: readonly CostRow[], q: AdHocCostQuery): { days: string[]; series: ChartSeries[] } {
  const days = windowDays(q);
  const series = seriesFromRows(
    rows.map((r) => ({ key: r.key, day: r.day!, micros: r.totalMicros })),
    days,
  );
  return { days, series };
}

/**
 * `adHocCosts` and each group's daily series from one query by group and day: a group's totals are the sums of its
 * days, exact because each attempt is rounded on its own before anything is summed.
 */
export async function adHocCostsWithSeries(db: Pool, nodeClasses: readonly NodeClass[], q: AdHocCostQuery) {
  const rows = await rowsOf(db, nodeClasses, q, true);
  const byKey = new Map<string, CostRow>();
  for (const { day: _day, ...r } of rows) {
    const seen = byKey.get(r.key);
    byKey.set(r.key, seen === undefined ? r : { key: r.key, ...add(seen, r) });
  }
  return { ...answer([...byKey.values()]), ...seriesOf(rows, q) };
}

/** Each group's daily cost over the window's UTC days: the largest 8 groups, the rest summed as "other (n)". */
export async function adHocSeries(
  db: Pool,
  nodeClasses: readonly NodeClass[],
  q: AdHocCostQuery,
): Promise<{ days: string[]; series: ChartSeries[] }> {
  return seriesOf(await rowsOf(db, nodeClasses, q, true), q);
}

/** The SVG chart of each group's daily cost over the window's UTC days. */
export async function adHocChart(db: Pool, nodeClasses: readonly NodeClass[], q: AdHocCostQuery): Promise<string> {
  const { days, series } = await adHocSeries(db, nodeClasses, q);
  return timed('cost-render', async () =>
    renderCostChart(`Daily cost by ${q.groupBy}, ${days[0]} to ${days[days.length - 1]}`, days, series),
  );
}
