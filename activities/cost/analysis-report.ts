/** The pure steps of a day's cost analysis: anomalies, forecast, budgets, recommendations, the report and its chart. */
import type { CostAnomaly } from './anomalies';
import { anomalyMethod, findAnomalies } from './anomalies';
import type { AnalysisSettings } from './analyze';
import type { AnalysisWindow, IdleCosts, InfraCosts, MeteredCosts } from './analysis-inputs';
import type { BudgetStatus } from './budgets';
import { evaluateBudgets } from './budgets';
import { renderCostChart, seriesFromRows } from '../../cost-model/chart-svg';
import type { Budget } from './cost-config';
import { addDays, forecastMonthEnd, type MonthForecast } from '../../cost-model/forecast';
import type { Recommendation } from './idle-model';
import { costOfMs } from '../../cost-model/money';
import { dailySeries, summarize, type CostReport, type CostTotals } from './report-model';

/** Days of the series where a day's figure is above the usual, by dimension and in total. */
export function detectAnomalies(
  metered: MeteredCosts,
  labelKeys: readonly string[],
  date: string,
  settings: AnalysisSettings,
): CostAnomaly[] {
  const anomalies: CostAnomaly[] = [];
  for (const dim of ['nodeClass', 'name', ...labelKeys.map((k) => `label:${k}`)]) {
    anomalies.push(...findAnomalies(dim, dailySeries(metered.rowsByDim.get(dim)!), date, settings));
  }
  anomalies.push(...findAnomalies('total', new Map([['all', metered.computeDaily]]), date, settings));
  return anomalies;
}

/** The month-end forecast of attributed cost (compute, waste and infrastructure). */
export function forecastMonth(metered: MeteredCosts, infra: InfraCosts, window: AnalysisWindow): MonthForecast {
  const attributedDaily = new Map<string, number>();
  for (let day = window.seriesFromDay; day <= window.date; day = addDays(day, 1)) {
    attributedDaily.set(day, (metered.computeDaily.get(day) ?? 0) + (infra.dailyMicros.get(day) ?? 0));
  }
  return forecastMonthEnd(attributedDaily, window.date);
}

/** What evaluating the budgets needs. */
export interface BudgetSpend {
  budgets: readonly Budget[];
  metered: MeteredCosts;
  infra: InfraCosts;
  forecast: MonthForecast;
  window: AnalysisWindow;
}

/** Each budget against the month-to-date spend in its scope: everything, or one label value. */
export function checkBudgets({ budgets, metered, infra, forecast, window }: BudgetSpend): BudgetStatus[] {
  const { date, monthStart } = window;
  return evaluateBudgets(budgets, date.slice(0, 7), (b) => {
    if (b.label === undefined) return forecast.monthToDateMicros;
    const metering = (metered.rowsByDim.get(`label:${b.label}`) ?? [])
      .filter((r) => r.key === b.value && r.day! >= monthStart && r.day! <= date)
      .reduce((sum, r) => sum + r.totalMicros, 0);
    return metering + (infra.monthByLabelMicros.get(`${b.label}=${b.value}`) ?? 0);
  });
}

/** The task whose failures cost the most on the day. */
export interface FailingTask {
  name: string;
  taskId: string;
  failedAttempts: number;
  wasteMicros: number;
}

/** Savings to act on, largest first: idle classes, stale or expired stacks, the costliest failing task. */
export function recommend(
  idle: IdleCosts,
  infra: InfraCosts,
  failing: FailingTask | undefined,
  date: string,
): Recommendation[] {
  const recommendations: Recommendation[] = [...idle.recommendations];
  for (const st of infra.today.stacks) {
    if (st.flags.length === 0) continue;
    recommendations.push({
      kind: 'delete-stack',
      subject: `stack=${st.project}/${st.stack}`,
      explanation: `delete stack ${st.explanation}`,
      savingsMicrosPer30Days: costOfMs(30 * 86_400_000, st.microsPerHour),
    });
  }
  if (failing) {
    recommendations.push({
      kind: 'fix-failing-task',
      subject: `task=${failing.name}/${failing.taskId}`,
      savingsMicrosPer30Days: failing.wasteMicros * 30,
      explanation:
        `look at task ${failing.taskId} of ${failing.name}: ${failing.failedAttempts} failed attempts ` +
        `on ${date} (the costliest failures of the day)`,
    });
  }
  return recommendations.sort(
    (a, b) => b.savingsMicrosPer30Days - a.savingsMicrosPer30Days || a.subject.localeCompare(b.subject),
  );
}

/** Everything the report is made of. */
export interface ReportParts {
  window: AnalysisWindow;
  settings: AnalysisSettings;
  metered: MeteredCosts;
  idle: IdleCosts;
  infra: InfraCosts;
  external: CostReport['external'] & { totalMicros: number };
  anomalies: CostAnomaly[];
  forecast: MonthForecast;
  budgets: BudgetStatus[];
  recommendations: Recommendation[];
}

/** The day's report: totals, the day before, every finding, how each figure was computed, the summary. */
export function assembleReport(parts: ReportParts): CostReport {
  const { window, metered, infra, external, forecast } = parts;
  const totals: CostTotals = {
    computeMicros: metered.computeMicros,
    wasteMicros: metered.wasteMicros,
    idleMicros: parts.idle.idleMicros,
    infraMicros: infra.today.totalMicros,
    externalMicros: external.totalMicros,
    totalMicros: 0,
  };
  totals.totalMicros =
    totals.computeMicros + totals.wasteMicros + totals.idleMicros + totals.infraMicros + totals.externalMicros;
  // Idle and external figures of the previous day are not recomputed; its stored report has them if it ran.
  const previous = {
    date: window.previousDate,
    computeMicros: 0,
    wasteMicros: 0,
    idleMicros: 0,
    infraMicros: infra.previousMicros,
    externalMicros: 0,
    totalMicros: metered.previousMicros + infra.previousMicros,
  };
  const attributedToday = totals.computeMicros + totals.wasteMicros + totals.infraMicros;
  const changeMicros = attributedToday - previous.totalMicros;
  const body: Omit<CostReport, 'summary'> = {
    windowKind: 'daily',
    date: window.date,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    currency: 'USD',
    methods: reportMethods(parts.settings, forecast),
    totals,
    previous,
    change: {
      totalMicros: changeMicros,
      relative: previous.totalMicros === 0 ? null : Math.round((changeMicros / previous.totalMicros) * 10_000) / 10_000,
    },
    groups: metered.groups,
    idle: parts.idle.classes,
    infrastructure: infra.today,
    external,
    anomalies: parts.anomalies,
    forecast,
    budgets: parts.budgets,
    recommendations: parts.recommendations,
  };
  return { ...body, summary: summarize(body) };
}

/** How each figure of the report is computed, in the report's own words. */
function reportMethods(s: AnalysisSettings, forecast: MonthForecast): CostReport['methods'] {
  return {
    compute:
      'each closed attempt started in the window: duration × its node class pricePerHour, rounded half up to ' +
      "a micro-dollar per attempt; attributed to run, name, kind, node class and labels (the attempt's, else the " +
      "run's)",
    waste:
      'the same for attempts that did not succeed (failed, timed out, lost, cancelled, errored): the cost of ' +
      'failures and retries',
    idle:
      'per node class: pricePerHour × (workers × hours − busy hours / concurrency), workers = max(distinct metered ' +
      `workers, live pollers at analysis time); utilisation below ${s.lowUtilisation * 100}% is low`,
    infrastructure:
      "each managed stack's resources priced per hour from the resource price catalog × hours the stack " +
      `existed in the window; flagged when past its TTL or without an operation for ${s.staleStackDays} days`,
    anomalies: anomalyMethod(s),
    forecast: `${forecast.method}; counts compute, waste and infrastructure (idle and external bills are not forecast)`,
    budgets:
      "month-to-date compute, waste and infrastructure in the budget's scope (a label value, or everything) " +
      'against its monthly amount; each threshold notifies once per month',
  };
}

/** The stored chart: the daily cost of the look-back by the configured grouping. */
export function costChart(metered: MeteredCosts, date: string, s: AnalysisSettings): string {
  const chartDays: string[] = [];
  for (let day = addDays(date, -s.lookbackDays); day <= date; day = addDays(day, 1)) chartDays.push(day);
  const rows = (metered.rowsByDim.get(s.chartGroupBy) ?? metered.rowsByDim.get('nodeClass')!).map((r) => ({
    key: r.key,
    day: r.day!,
    micros: r.totalMicros,
  }));
  const title = `Daily cost by ${s.chartGroupBy}, ${chartDays[0]} to ${date}`;
  return renderCostChart(title, chartDays, seriesFromRows(rows, chartDays));
}
