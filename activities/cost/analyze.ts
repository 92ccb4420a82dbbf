/** The analysis of one day: gathers metering, workers, stacks and external bills, builds the report, stores it and records notifications. */
import type { Pool } from 'pg';
import type { NodeClass } from '../../config/node-classes';
import { anomalyMethod, findAnomalies, type AnomalySettings, type CostAnomaly } from './anomalies';
import type { BillingSource } from './billing/billing-source';
import { evaluateBudgets } from './budgets';
import { renderCostChart, seriesFromRows } from '../../cost-model/chart-svg';
import type { Budget } from './cost-config';
import { classUsage, costByGroup, mostFailingTask, type CostGroupBy, type CostRow } from '../../db/stores/cost-queries';
import { gatherExternal } from './external';
import { addDays, forecastMonthEnd } from '../../cost-model/forecast';
import { idleCapacity, type Recommendation } from './idle-model';
import { priceStacks } from './infra-model';
import { costOfMs, dollarsToMicros } from '../../cost-model/money';
import { recordNotification } from '../../db/stores/cost-notifications';
import { dailySeries, groupFigures, sumSeries, summarize, type CostReport } from './report-model';
import { loadStacks } from '../../db/stores/cost-stack-queries';
import { storeReport } from '../../db/stores/cost-report-store';

/** Tunable parts of the analysis. */
export interface AnalysisSettings extends AnomalySettings {
  /** A class below this utilisation (0..1) is reported as idle and gets a recommendation. */
  lowUtilisation: number;
  staleStackDays: number;
  /** The grouping the stored chart draws. */
  chartGroupBy: CostGroupBy;
}

/** What the cost activities need; tests pass real or local parts. */
export interface CostActivityDeps {
  db: Pool;
  nodeClasses: readonly NodeClass[];
  /** Resource type → micro-dollars per hour. */
  resourcePrices: ReadonlyMap<string, number>;
  budgets: readonly Budget[];
  billingSources: readonly BillingSource[];
  /** Live workers polling a class's queue now. */
  livePollers(nodeClass: string): Promise<number>;
  webhookUrl?: string;
  settings: AnalysisSettings;
}

/** Input of `analyzeCosts`. */
export interface AnalyzeCostsInput {
  /** The UTC day analysed, YYYY-MM-DD. */
  date: string;
  workflowId?: string;
}

/** What the workflow learns of the analysis. */
export interface AnalyzeCostsResult {
  date: string;
  totalMicros: number;
  anomalies: number;
  budgetsCrossed: number;
  /** Notifications recorded by this run (0 when an earlier run already recorded them). */
  newNotifications: number;
}

/** The label dimensions every report carries. */
const REPORT_LABELS = ['team', 'project', 'environment'];

/** Runs the analysis of `input.date` and stores its report (replacing an earlier one of the same day). */
export async function analyzeCosts(deps: CostActivityDeps, input: AnalyzeCostsInput): Promise<AnalyzeCostsResult> {
  const { date } = input;
  const s = deps.settings;
  const from = new Date(`${date}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const previousDate = addDays(date, -1);
  const monthStart = `${date.slice(0, 7)}-01`;
  const seriesFromDay = [addDays(date, -s.lookbackDays), monthStart].sort()[0]!;
  const seriesFrom = new Date(`${seriesFromDay}T00:00:00Z`);
  const prices = new Map(deps.nodeClasses.map((c) => [c.name, dollarsToMicros(c.pricePerHour)]));

  const labelKeys = [...new Set([...REPORT_LABELS, ...deps.budgets.flatMap((b) => (b.label === undefined ? [] : [b.label]))])];
  const dimensions: CostGroupBy[] = ['nodeClass', 'name', 'kind', ...labelKeys.map((k) => `label:${k}` as const)];
  const rowsByDim = new Map<string, CostRow[]>();
  for (const dim of dimensions) rowsByDim.set(dim, await costByGroup(deps.db, { from: seriesFrom, to, groupBy: dim, prices, byDay: true }));
  const groups: Record<string, ReturnType<typeof groupFigures>> = {};
  for (const [dim, rows] of rowsByDim) groups[dim] = groupFigures(rows, date, previousDate);
  // Runs only for the day itself, the 50 costliest: a day may hold thousands.
  const runRows = await costByGroup(deps.db, { from: addDaysDate(from, -1), to, groupBy: 'run', prices, byDay: true });
  groups.run = groupFigures(runRows, date, previousDate).filter((g) => g.attempts > 0).slice(0, 50);

  const computeDaily = sumSeries(dailySeries(rowsByDim.get('nodeClass')!));
  const dayFigures = groupFigures(rowsByDim.get('nodeClass')!, date, previousDate);
  const compute = dayFigures.reduce((sum, g) => sum + g.computeMicros, 0);
  const waste = dayFigures.reduce((sum, g) => sum + g.wasteMicros, 0);

  const usage = await classUsage(deps.db, from, to);
  const idle = idleCapacity(await Promise.all(deps.nodeClasses.map(async (c) => ({
    nodeClass: c.name, concurrency: c.concurrency, microsPerHour: prices.get(c.name)!, busyMs: usage.get(c.name)?.busyMs ?? 0,
    meteredWorkers: usage.get(c.name)?.meteredWorkers ?? 0, livePollers: await deps.livePollers(c.name),
  }))), 86_400_000, s.lowUtilisation);
  const idleMicros = idle.classes.reduce((sum, c) => sum + c.idleMicros, 0);

  const stacks = await loadStacks(deps.db, to);
  const infraSettings = { catalog: deps.resourcePrices, staleAfterDays: s.staleStackDays };
  const infra = priceStacks(stacks, from, to, infraSettings);
  // Infrastructure per day and per label value, for the forecast and the budgets.
  const infraDaily = new Map<string, number>();
  const infraByLabel = new Map<string, number>();
  for (let day = seriesFromDay; day <= date; day = addDays(day, 1)) {
    const dayFrom = new Date(`${day}T00:00:00Z`);
    const priced = day === date ? infra : priceStacks(stacks, dayFrom, addDaysDate(dayFrom, 1), infraSettings);
    infraDaily.set(day, priced.totalMicros);
    if (day < monthStart) continue;
    for (const st of priced.stacks) for (const [k, v] of Object.entries(st.labels)) infraByLabel.set(`${k}=${v}`, (infraByLabel.get(`${k}=${v}`) ?? 0) + st.costMicros);
  }
  const previousInfra = infraDaily.get(previousDate) ?? priceStacks(stacks, addDaysDate(from, -1), from, infraSettings).totalMicros;

  const external = await gatherExternal(deps.billingSources, date, addDays(date, 1));

  const anomalies: CostAnomaly[] = [];
  for (const dim of ['nodeClass', 'name', ...labelKeys.map((k) => `label:${k}`)]) anomalies.push(...findAnomalies(dim, dailySeries(rowsByDim.get(dim)!), date, s));
  anomalies.push(...findAnomalies('total', new Map([['all', computeDaily]]), date, s));

  const attributedDaily = new Map<string, number>();
  for (let day = seriesFromDay; day <= date; day = addDays(day, 1)) attributedDaily.set(day, (computeDaily.get(day) ?? 0) + (infraDaily.get(day) ?? 0));
  const forecast = forecastMonthEnd(attributedDaily, date);
  const budgets = evaluateBudgets(deps.budgets, date.slice(0, 7), (b) => {
    if (b.label === undefined) return forecast.monthToDateMicros;
    const metered = (rowsByDim.get(`label:${b.label}`) ?? []).filter((r) => r.key === b.value && r.day! >= monthStart && r.day! <= date).reduce((sum, r) => sum + r.totalMicros, 0);
    return metered + (infraByLabel.get(`${b.label}=${b.value}`) ?? 0);
  });

  const recommendations: Recommendation[] = [...idle.recommendations];
  for (const st of infra.stacks) {
    if (st.flags.length === 0) continue;
    recommendations.push({ kind: 'delete-stack', subject: `stack=${st.project}/${st.stack}`, explanation: `delete stack ${st.explanation}`, savingsMicrosPer30Days: costOfMs(30 * 86_400_000, st.microsPerHour) });
  }
  const failing = await mostFailingTask(deps.db, from, to, prices);
  if (failing) {
    recommendations.push({
      kind: 'fix-failing-task', subject: `task=${failing.name}/${failing.taskId}`, savingsMicrosPer30Days: failing.wasteMicros * 30,
      explanation: `look at task ${failing.taskId} of ${failing.name}: ${failing.failedAttempts} failed attempts on ${date} (the costliest failures of the day)`,
    });
  }
  recommendations.sort((a, b) => b.savingsMicrosPer30Days - a.savingsMicrosPer30Days || a.subject.localeCompare(b.subject));

  const totals = { computeMicros: compute, wasteMicros: waste, idleMicros, infraMicros: infra.totalMicros, externalMicros: external.totalMicros, totalMicros: 0 };
  totals.totalMicros = compute + waste + idleMicros + infra.totalMicros + external.totalMicros;
  const previousMetered = dayFigures.reduce((sum, g) => sum + g.previousTotalMicros, 0);
  // Idle and external figures of the previous day are not recomputed; its stored report has them if it ran.
  const previous = { date: previousDate, computeMicros: 0, wasteMicros: 0, idleMicros: 0, infraMicros: previousInfra, externalMicros: 0, totalMicros: previousMetered + previousInfra };
  const attributedToday = compute + waste + infra.totalMicros;
  const body: Omit<CostReport, 'summary'> = {
    windowKind: 'daily', date, from: from.toISOString(), to: to.toISOString(), currency: 'USD',
    methods: {
      compute: 'each closed attempt started in the window: duration × its node class pricePerHour, rounded half up to a micro-dollar per attempt; attributed to run, name, kind, node class and labels (the attempt\'s, else the run\'s)',
      waste: 'the same for attempts that did not succeed (failed, timed out, lost, cancelled, errored): the cost of failures and retries',
      idle: `per node class: pricePerHour × (workers × hours − busy hours / concurrency), workers = max(distinct metered workers, live pollers at analysis time); utilisation below ${s.lowUtilisation * 100}% is low`,
      infrastructure: `each managed stack's resources priced per hour from the resource price catalog × hours the stack existed in the window; flagged when past its TTL or without an operation for ${s.staleStackDays} days`,
      anomalies: anomalyMethod(s),
      forecast: `${forecast.method}; counts compute, waste and infrastructure (idle and external bills are not forecast)`,
      budgets: 'month-to-date compute, waste and infrastructure in the budget\'s scope (a label value, or everything) against its monthly amount; each threshold notifies once per month',
    },
    totals, previous,
    change: { totalMicros: attributedToday - previous.totalMicros, relative: previous.totalMicros === 0 ? null : Math.round(((attributedToday - previous.totalMicros) / previous.totalMicros) * 10_000) / 10_000 },
    groups, idle: idle.classes, infrastructure: infra, external, anomalies, forecast, budgets, recommendations,
  };
  const report: CostReport = { ...body, summary: summarize(body) };

  const chartDays: string[] = [];
  for (let day = addDays(date, -s.lookbackDays); day <= date; day = addDays(day, 1)) chartDays.push(day);
  const chartRows = (rowsByDim.get(s.chartGroupBy) ?? rowsByDim.get('nodeClass')!).map((r) => ({ key: r.key, day: r.day!, micros: r.totalMicros }));
  const svg = renderCostChart(`Daily cost by ${s.chartGroupBy}, ${chartDays[0]} to ${date}`, chartDays, seriesFromRows(chartRows, chartDays));
  await storeReport(deps.db, report, svg, input.workflowId);

  let newNotifications = 0;
  for (const a of anomalies) {
    if (await recordNotification(deps.db, { kind: 'anomaly', subject: `${a.dimension}=${a.key}`, period: date, threshold: '', message: a.explanation })) newNotifications++;
  }
  for (const b of budgets) {
    for (const t of b.crossed) {
      const message = `${b.explanation}: crossed ${t * 100}% of the budget`;
      if (await recordNotification(deps.db, { kind: 'budget', subject: b.name, period: b.month, threshold: String(t), message })) newNotifications++;
    }
  }
  return { date, totalMicros: totals.totalMicros, anomalies: anomalies.length, budgetsCrossed: budgets.filter((b) => b.crossed.length > 0).length, newNotifications };
}

function addDaysDate(at: Date, days: number): Date {
  return new Date(at.getTime() + days * 86_400_000);
}
