/**
 * Scheduled cost analysis: analyses one UTC day (by default the day before the schedule's nominal
 * time, so a backfill over past days analyses each of them), stores its report, then sends the
 * notifications it recorded.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AnalyzeCostsResult, CostActivities } from '../activities/cost';

/** Input of `costAnalysisWorkflow`. */
export interface CostAnalysisWorkflowInput {
  /** The node-class task queue whose workers run the cost activities (they reach the database). */
  activityTaskQueue: string;
  /** The UTC day to analyse (YYYY-MM-DD); default: the day before the scheduled (or, unscheduled, the actual) start. */
  date?: string;
}

/** What one analysis did. */
export interface CostAnalysisWorkflowResult extends AnalyzeCostsResult {
  notificationsSent: number;
  /** Why notifications could not be sent; they stay recorded and the next analysis sends them. */
  notificationError?: string;
}

/** Set by Temporal on every workflow a schedule starts, including backfills: the action's nominal time. */
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

// Reading a month of metering and stacks takes seconds; retries cover a database or worker restart.
const ANALYSIS_OPTIONS = {
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
} as const;
const NOTIFY_OPTIONS = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 4 },
} as const;

/** Runs the analysis of one day; idempotent per day (the report is replaced, notifications are keyed). */
export async function costAnalysisWorkflow(input: CostAnalysisWorkflowInput): Promise<CostAnalysisWorkflowResult> {
  const info = workflowInfo();
  const nominal = info.typedSearchAttributes.get(scheduledStartTime) ?? info.runStartTime;
  const date = input.date ?? new Date(nominal.getTime() - 86_400_000).toISOString().slice(0, 10);
  const { analyzeCosts } = proxyActivities<CostActivities>({ ...ANALYSIS_OPTIONS, taskQueue: input.activityTaskQueue });
  const { sendCostNotifications } = proxyActivities<CostActivities>({
    ...NOTIFY_OPTIONS,
    taskQueue: input.activityTaskQueue,
  });
  const analysis = await analyzeCosts.executeWithOptions({ summary: `analyze costs of ${date}` }, [
    { date, workflowId: info.workflowId },
  ]);
  try {
    const { sent } = await sendCostNotifications.executeWithOptions({ summary: 'send cost notifications' }, [{}]);
    return { ...analysis, notificationsSent: sent };
  } catch (err) {
    // The report stands without its notifications; they stay unsent in the table for the next run.
    log.warn('cost notifications not sent', { date, error: (err as Error).message });
    return { ...analysis, notificationsSent: 0, notificationError: (err as Error).message };
  }
}
