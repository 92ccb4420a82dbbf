/** The first steps of a day's cost analysis: its window, and the figures read from metering, workers and stacks. */
import type { Pool } from 'pg';
import type { NodeClass } from '../../config/node-classes';
import type { CostActivityDeps } from './analyze';
import { classUsage, costByGroup, mostFailingTask, type CostGroupBy, type CostRow } from '../../db/stores/cost-queries';
import { addDays } from '../../cost-model/forecast';
import { idleCapacity, type ClassIdle, type Recommendation } from './idle-model';
import { priceStacks } from './infra-model';
import { dollarsToMicros } from '../../cost-model/money';
import { dailySeries, groupFigures, sumSeries, type GroupFigures } from './report-model';
import { loadStacks } from '../../db/stores/cost-stack-queries';

const DAY_MS = 86_400_000;

/** The label dimensions every report carries. */
export const REPORT_LABELS = ['team', 'project', 'environment'];

/** The day analysed and the days around it that its figures need. */
export interface AnalysisWindow {
  /** The UTC day analysed, YYYY-MM-DD. */
  date: string;
  from: Date;
  to: Date;
  previousDate: string;
  /** The first day of the analysed day's month. */
  monthStart: string;
  /** The first day of the daily series: the anomaly look-back or the month's start, whichever is earlier. */
  seriesFromDay: string;
}

/** The window of `date`, with `lookbackDays` of history behind it. */
export function analysisWindow(date: string, lookbackDays: number): AnalysisWindow {
  const from = new Date(`${date}T00:00:00Z`);
  const monthStart = `${date.slice(0, 7)}-01`;
  return {
    date,
    from,
    to: new Date(from.getTime() + DAY_MS),
    previousDate: addDays(date, -1),
    monthStart,
    seriesFromDay: [addDays(date, -lookbackDays), monthStart].sort()[0]!,
  };
}

/** Node class → micro-dollars per hour. */
export function classPrices(nodeClasses: readonly NodeClass[]): Map<string, number> {
  return new Map(nodeClasses.map((c) => [c.name, dollarsToMicros(c.pricePerHour)]));
}

/** The label keys the report groups by: the standard ones and every budget's. */
export function reportLabelKeys(deps: Pick<CostActivityDeps, 'budgets'>): string[] {
  return [...new Set([...REPORT_LABELS, ...deps.budgets.flatMap((b) => (b.label === undefined ? [] : [b.label]))])];
}

/** Metered attempts of the series, by dimension and day, with the day's figures. */
export interface MeteredCosts {
  /** Rows by day for each dimension (`nodeClass`, `name`, `kind`, `label:<key>`), over the whole series. */
  rowsByDim: Map<string, CostRow[]>;
  /** The report's groups: each dimension's figures of the day, and the day's 50 costliest runs. */
  groups: Record<string, GroupFigures[]>;
  /** Compute and waste of every day of the series. */
  computeDaily: Map<string, number>;
  computeMicros: number;
  wasteMicros: number;
  /** Compute and waste of the day before. */
  previousMicros: number;
}

/** What reading metered costs needs. */
export interface MeteredCostsQuery {
  window: AnalysisWindow;
  prices: ReadonlyMap<string, number>;
  labelKeys: readonly string[];
}

/** Reads the metered costs of the window's series, grouped by every dimension the report shows. */
export async function gatherMeteredCosts(db: Pool, query: MeteredCostsQuery): Promise<MeteredCosts> {
  const { window, prices, labelKeys } = query;
  const { date, previousDate, to } = window;
  const seriesFrom = new Date(`${window.seriesFromDay}T00:00:00Z`);
  const dimensions: CostGroupBy[] = ['nodeClass', 'name', 'kind', ...labelKeys.map((k) => `label:${k}` as const)];
  const rowsByDim = new Map<string, CostRow[]>();
  for (const dim of dimensions) {
    rowsByDim.set(dim, await costByGroup(db, { from: seriesFrom, to, groupBy: dim, prices, byDay: true }));
  }
  const groups: Record<string, GroupFigures[]> = {};
  for (const [dim, rows] of rowsByDim) groups[dim] = groupFigures(rows, date, previousDate);
  // Runs only for the day itself, the 50 costliest: a day may hold thousands.
  const runsFrom = addDaysDate(window.from, -1);
  const runRows = await costByGroup(db, { from: runsFrom, to, groupBy: 'run', prices, byDay: true });
  groups.run = groupFigures(runRows, date, previousDate)
    .filter((g) => g.attempts > 0)
    .slice(0, 50);

  const byClass = rowsByDim.get('nodeClass')!;
  const dayFigures = groupFigures(byClass, date, previousDate);
  const sum = (pick: (g: GroupFigures) => number): number => dayFigures.reduce((total, g) => total + pick(g), 0);
  return {
    rowsByDim,
    groups,
    computeDaily: sumSeries(dailySeries(byClass)),
    computeMicros: sum((g) => g.computeMicros),
    wasteMicros: sum((g) => g.wasteMicros),
    previousMicros: sum((g) => g.previousTotalMicros),
  };
}

/** Idle capacity of the day by node class, with the recommendations for classes below the utilisation floor. */
export interface IdleCosts {
  classes: ClassIdle[];
  recommendations: Recommendation[];
  idleMicros: number;
}

/** Measures what the workers of each class cost beyond the work they did on the day. */
export async function measureIdleCapacity(
  deps: CostActivityDeps,
  window: AnalysisWindow,
  prices: ReadonlyMap<string, number>,
): Promise<IdleCosts> {
  const usage = await classUsage(deps.db, window.from, window.to);
  const capacity = await Promise.all(
    deps.nodeClasses.map(async (c) => ({
      nodeClass: c.name,
      concurrency: c.concurrency,
      microsPerHour: prices.get(c.name)!,
      busyMs: usage.get(c.name)?.busyMs ?? 0,
      meteredWorkers: usage.get(c.name)?.meteredWorkers ?? 0,
      livePollers: await deps.livePollers(c.name),
    })),
  );
  const idle = idleCapacity(capacity, DAY_MS, deps.settings.lowUtilisation);
  return { ...idle, idleMicros: idle.classes.reduce((sum, c) => sum + c.idleMicros, 0) };
}

/** Managed stacks priced for the day, and per day and per label value over the series. */
export interface InfraCosts {
  today: ReturnType<typeof priceStacks>;
  /** Day → cost, for the forecast. */
  dailyMicros: Map<string, number>;
  /** `key=value` → month-to-date cost, for the budgets. */
  monthByLabelMicros: Map<string, number>;
  previousMicros: number;
}

/** Prices the managed stacks that existed on each day of the series. */
export async function priceInfrastructure(deps: CostActivityDeps, window: AnalysisWindow): Promise<InfraCosts> {
  const stacks = await loadStacks(deps.db, window.to);
  const settings = { catalog: deps.resourcePrices, staleAfterDays: deps.settings.staleStackDays };
  const today = priceStacks(stacks, window.from, window.to, settings);
  const dailyMicros = new Map<string, number>();
  const monthByLabelMicros = new Map<string, number>();
  for (let day = window.seriesFromDay; day <= window.date; day = addDays(day, 1)) {
    const dayFrom = new Date(`${day}T00:00:00Z`);
    const priced = day === window.date ? today : priceStacks(stacks, dayFrom, addDaysDate(dayFrom, 1), settings);
    dailyMicros.set(day, priced.totalMicros);
    if (day < window.monthStart) continue;
    for (const st of priced.stacks) {
      for (const [k, v] of Object.entries(st.labels)) {
        monthByLabelMicros.set(`${k}=${v}`, (monthByLabelMicros.get(`${k}=${v}`) ?? 0) + st.costMicros);
      }
    }
  }
  const previousMicros =
    dailyMicros.get(window.previousDate) ??
    priceStacks(stacks, addDaysDate(window.from, -1), window.from, settings).totalMicros;
  return { today, dailyMicros, monthByLabelMicros, previousMicros };
}

/** The task whose failed attempts cost the most on the day, if any failed. */
export function costliestFailures(
  db: Pool,
  window: AnalysisWindow,
  prices: ReadonlyMap<string, number>,
): ReturnType<typeof mostFailingTask> {
  return mostFailingTask(db, window.from, window.to, prices);
}

function addDaysDate(at: Date, days: number): Date {
  return new Date(at.getTime() + days * DAY_MS);
}
