/** Cost analysis activities, built over injected dependencies. */
import { analyzeCosts, type AnalyzeCostsInput, type AnalyzeCostsResult, type CostActivityDeps } from './analyze';
import { sendPendingNotifications } from './notifications';

export type { AnalyzeCostsInput, AnalyzeCostsResult, CostActivityDeps, AnalysisSettings } from './analyze';

/** The activities of the cost analysis workflow. */
export function createCostActivities(deps: CostActivityDeps) {
  return {
    /** Analyses one UTC day and stores its report; records the notifications it calls for. */
    analyzeCosts: (input: AnalyzeCostsInput): Promise<AnalyzeCostsResult> => analyzeCosts(deps, input),
    /** Posts recorded notifications not yet sent to the configured webhook; returns how many were sent. */
    sendCostNotifications: async (_input: Record<string, never>): Promise<{ sent: number }> => ({
      sent: await sendPendingNotifications(deps.db, deps.webhookUrl),
    }),
  };
}

/** The cost activities' type, for the workflow's proxy. */
export type CostActivities = ReturnType<typeof createCostActivities>;
