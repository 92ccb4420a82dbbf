/** The cost analysis Temporal Schedule: created or updated at start under a fixed id, listed, triggered and backfilled. */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import type { CostConfig } from '../../config/env';
import type { NodeClass } from '../../config/node-classes';
import { nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import type { CostAnalysisWorkflowInput } from '../../workflows/cost-analysis-workflow';

/** The schedule's id for a task-queue prefix: `capstan-cost-daily` by default. */
export function costScheduleId(prefix: string): string {
  return `${prefix}-cost-daily`;
}

/** What the schedule is made of. */
export interface CostScheduleSettings {
  scheduleId: string;
  cron: string;
  catchupWindowSeconds: number;
  overlap: CostConfig['overlap'];
  /** Where the workflow runs (the orchestrator queue). */
  workflowTaskQueue: string;
  /** Where its activities run (a node-class queue). */
  activityTaskQueue: string;
}

/** The settings a deployment's configuration gives; the cost node class must be configured. */
export function costScheduleSettings(
  prefix: string,
  cost: Pick<CostConfig, 'cron' | 'catchupWindowSeconds' | 'overlap' | 'nodeClass'>,
  nodeClasses: readonly NodeClass[],
): CostScheduleSettings {
  const nodeClass = cost.nodeClass ?? nodeClasses[0]?.name;
  if (nodeClass === undefined || !nodeClasses.some((c) => c.name === nodeClass)) {
    throw new Error(
      `CAPSTAN_COST_NODE_CLASS: node class "${nodeClass}" is not configured; use one of: ${nodeClasses.map((c) => c.name).join(', ')}`,
    );
  }
  return {
    scheduleId: costScheduleId(prefix),
    cron: cost.cron,
    catchupWindowSeconds: cost.catchupWindowSeconds,
    overlap: cost.overlap,
    workflowTaskQueue: orchestratorTaskQueue(prefix),
    activityTaskQueue: nodeClassTaskQueue(prefix, nodeClass),
  };
}

// Temporal describes a cron spec as calendars; the note keeps the expression as configured, for people and the API.
function cronNote(cron: string): string {
  return `cron: ${cron}`;
}

function scheduleBody(s: CostScheduleSettings) {
  const args: [CostAnalysisWorkflowInput] = [{ activityTaskQueue: s.activityTaskQueue }];
  return {
    spec: { cronExpressions: [s.cron] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'costAnalysisWorkflow',
      taskQueue: s.workflowTaskQueue,
      workflowId: `${s.scheduleId}-run`,
      args,
      staticSummary: 'Capstan cost analysis',
    },
    policies: { overlap: ScheduleOverlapPolicy[s.overlap], catchupWindow: `${s.catchupWindowSeconds}s` as const },
  };
}

/**
 * Creates the schedule, or brings an existing one (an earlier start) to these settings; either way
 * there is exactly one, under the fixed id. Returns which happened.
 */
export async function ensureCostSchedule(client: Client, s: CostScheduleSettings): Promise<'created' | 'updated'> {
  const body = scheduleBody(s);
  try {
    await client.schedule.create({ scheduleId: s.scheduleId, ...body, state: { note: cronNote(s.cron) } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule
    .getHandle(s.scheduleId)
    .update((previous) => ({ ...previous, ...body, state: { ...previous.state, note: cronNote(s.cron) } }));
  return 'updated';
}

/** How the API shows a schedule. */
export interface CostScheduleView {
  id: string;
  /** The cron expression the schedule was last set to (UTC). */
  cron: string | undefined;
  overlap: string | undefined;
  catchupWindowMs: number;
  paused: boolean;
  workflowType: string;
  recentActions: Array<{ scheduledAt: string; workflowId: string }>;
  nextActionTimes: string[];
}

/** Describes the cost schedule(s) of a prefix; an absent one is left out. */
export async function listCostSchedules(client: Client, prefix: string): Promise<CostScheduleView[]> {
  try {
    return [view(costScheduleId(prefix), await client.schedule.getHandle(costScheduleId(prefix)).describe())];
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return [];
    throw err;
  }
}

function view(id: string, d: ScheduleDescription): CostScheduleView {
  return {
    id,
    cron: d.state.note?.startsWith('cron: ') ? d.state.note.slice('cron: '.length) : undefined,
    overlap: d.policies.overlap,
    catchupWindowMs: d.policies.catchupWindow,
    paused: d.state.paused,
    workflowType: d.action.workflowType,
    recentActions: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
    nextActionTimes: d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
  };
}
