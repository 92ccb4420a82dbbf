/** Alert activities, built over injected dependencies: evaluate every rule, then post what changed. */
import type { Pool } from 'pg';
import { evaluateAlerts, type EvaluateAlertsInput, type EvaluateAlertsResult } from './evaluate';
import { sendAlertEvents } from './notify';
import { temporalAlertSources, type AlertSourceDeps, type AlertSources } from './sources';

export type { EvaluateAlertsInput, EvaluateAlertsResult } from './evaluate';

/** What the alert activities need. */
export interface AlertActivityDeps extends AlertSourceDeps {
  db: Pool;
  /** Where notifications go; without one, events stay recorded and unsent. */
  webhookUrl?: string;
  /** Figures from elsewhere than Temporal and the database (tests). */
  sources?: () => AlertSources;
}

/** The activities of the alert evaluation workflow. */
export function createAlertActivities(deps: AlertActivityDeps) {
  return {
    /** Evaluates every rule once and records the alerts that started firing or resolved. */
    evaluateAlertRules: (input: EvaluateAlertsInput): Promise<EvaluateAlertsResult> =>
      evaluateAlerts(deps.db, deps.sources?.() ?? temporalAlertSources(deps), input),
    /** Posts recorded alert events not yet sent to the configured webhook; returns how many were sent. */
    sendAlertNotifications: async (_input: Record<string, never>): Promise<{ sent: number }> => ({
      sent: await sendAlertEvents(deps.db, deps.webhookUrl),
    }),
  };
}

/** The alert activities' type, for the workflow's proxy. */
export type AlertActivities = ReturnType<typeof createAlertActivities>;
