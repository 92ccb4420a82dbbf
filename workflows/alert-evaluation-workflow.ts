/**
 * Scheduled alert evaluation: judges every rule once, then posts the alerts that started firing or
 * resolved. Started by the alert Temporal Schedule every `intervalSeconds` of the rules file.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { AlertActivities, EvaluateAlertsResult } from '../activities/alerts';
import type { AlertRule } from './contracts/alert-rules';

/** Input of `alertEvaluationWorkflow`. */
export interface AlertEvaluationWorkflowInput {
  /** The node-class task queue whose workers run the alert activities (they reach the database). */
  activityTaskQueue: string;
  rules: AlertRule[];
  /** Every configured node class, for rules that name none. */
  nodeClasses: string[];
}

/** What one evaluation did. */
export interface AlertEvaluationWorkflowResult extends EvaluateAlertsResult {
  notificationsSent: number;
  /** Why notifications could not be sent; they stay recorded and the next evaluation sends them. */
  notificationError?: string;
}

// An evaluation reads a few queues and counts; a short timeout keeps a stuck one from overlapping the next.
const EVALUATE_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
} as const;
const NOTIFY_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
} as const;

/** Evaluates the rules and sends their notifications; notifications left unsent wait for the next evaluation. */
export async function alertEvaluationWorkflow(
  input: AlertEvaluationWorkflowInput,
): Promise<AlertEvaluationWorkflowResult> {
  const { evaluateAlertRules } = proxyActivities<AlertActivities>({
    ...EVALUATE_OPTIONS,
    taskQueue: input.activityTaskQueue,
  });
  const { sendAlertNotifications } = proxyActivities<AlertActivities>({
    ...NOTIFY_OPTIONS,
    taskQueue: input.activityTaskQueue,
  });
  const evaluation = await evaluateAlertRules.executeWithOptions(
    { summary: `evaluate ${input.rules.length} alert rule${input.rules.length === 1 ? '' : 's'}` },
    [{ rules: input.rules, nodeClasses: input.nodeClasses }],
  );
  try {
    const { sent } = await sendAlertNotifications.executeWithOptions({ summary: 'send alert notifications' }, [{}]);
    return { ...evaluation, notificationsSent: sent };
  } catch (err) {
    log.warn('alert notifications not sent', { error: (err as Error).message });
    return { ...evaluation, notificationsSent: 0, notificationError: (err as Error).message };
  }
}
