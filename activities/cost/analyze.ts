/**
 * The analysis of one day: gathers metering, workers, stacks and external bills, builds the report,
 * stores it and records notifications.
 */
import type { Pool } from 'pg';
import type { NodeClass } from '../../config/node-classes';
import type { AnomalySettings, CostAnomaly } from './anomalies';
import {
  analysisWindow,
  classPrices,
  costliestFailures,
  gatherMeteredCosts,
  measureIdleCapacity,
  priceInfrastructure,
  reportLabelKeys,
} from './analysis-inputs';
import { assembleReport, checkBudgets, costChart, detectAnomalies, forecastMonth, recommend } from './analysis-report';
import type { BillingSource } from './billing/billing-source';
import type { BudgetStatus } from './budgets';
import type { Budget } from './cost-config';
import type { CostGroupBy } from '../../db/stores/cost-queries';
import { gatherExternal } from './external';
import { addDays } from '../../cost-model/forecast';
import { recordNotification } from '../../db/stores/cost-notifications';
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

/** Runs the analysis of `input.date` and stores its report (replacing an earlier one of the same day). */
export async function analyzeCosts(deps: CostActivityDeps, input: AnalyzeCostsInput): Promise<AnalyzeCostsResult> {
  const { date } = input;
  const settings = deps.settings;
  const window = analysisWindow(date, settings.lookbackDays);
  const prices = classPrices(deps.nodeClasses);
  const labelKeys = reportLabelKeys(deps);

  const metered = await gatherMeteredCosts(deps.db, { window, prices, labelKeys });
  const idle = await measureIdleCapacity(deps, window, prices);
  const infra = await priceInfrastructure(deps, window);
  const external = await gatherExternal(deps.billingSources, date, addDays(date, 1));
  const failing = await costliestFailures(deps.db, window, prices);

  const anomalies = detectAnomalies(metered, labelKeys, date, settings);
  const forecast = forecastMonth(metered, infra, window);
  const budgets = checkBudgets({ budgets: deps.budgets, metered, infra, forecast, window });
  const recommendations = recommend(idle, infra, failing, date);
  const report = assembleReport({
    window,
    settings,
    metered,
    idle,
    infra,
    external,
    anomalies,
    forecast,
    budgets,
    recommendations,
  });

  await storeReport(deps.db, report, costChart(metered, date, settings), input.workflowId);
  const newNotifications = await recordNotifications(deps.db, anomalies, budgets, date);
  return {
    date,
    totalMicros: report.totals.totalMicros,
    anomalies: anomalies.length,
    budgetsCrossed: budgets.filter((b) => b.crossed.length > 0).length,
    newNotifications,
  };
}

/** Records a notification per anomaly and per budget threshold crossed; how many were new (each is recorded once). */
async function recordNotifications(
  db: Pool,
  anomalies: readonly CostAnomaly[],
  budgets: readonly BudgetStatus[],
  date: string,
): Promise<number> {
  let recorded = 0;
  for (const a of anomalies) {
    const subject = `${a.dimension}=${a.key}`;
    const notification = { kind: 'anomaly' as const, subject, period: date, threshold: '', message: a.explanation };
    if (await recordNotification(db, notification)) recorded++;
  }
  for (const b of budgets) {
    for (const t of b.crossed) {
      const message = `${b.explanation}: crossed ${t * 100}% of the budget`;
      const notification = { kind: 'budget' as const, subject: b.name, period: b.month, threshold: String(t), message };
      if (await recordNotification(db, notification)) recorded++;
    }
  }
  return recorded;
}
