/** The alert evaluation Temporal Schedule: created or updated at start under a fixed id, every `intervalSeconds`. */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { NodeClass } from '../../config/node-classes';
import type { AlertSettings } from './deps';
import type { AlertFile } from '../../workflows/contracts/alert-rules';
import { nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import type { AlertEvaluationWorkflowInput } from '../../workflows/alert-evaluation-workflow';

/** The schedule's id for a task-queue prefix: `capstan-alerts` by default. */
export function alertScheduleId(prefix: string): string {
  return `${prefix}-alerts`;
}

/** What the schedule is made of. */
export interface AlertScheduleSettings {
  scheduleId: string;
  intervalSeconds: number;
  workflowTaskQueue: string;
  input: AlertEvaluationWorkflowInput;
}

/**
 * The settings of a rules file: its activities run on the file's `nodeClass`, else the cost analysis class,
 * else the first configured class (the file was checked against the classes when it was loaded).
 */
export function alertScheduleSettings(
  prefix: string,
  file: AlertFile,
  nodeClasses: readonly NodeClass[],
  costNodeClass: string | undefined,
): AlertScheduleSettings {
  const nodeClass = file.nodeClass ?? costNodeClass ?? nodeClasses[0]?.name;
  if (nodeClass === undefined) throw new Error('alerts: no node class is configured to evaluate the rules on');
  return {
    scheduleId: alertScheduleId(prefix),
    intervalSeconds: file.intervalSeconds,
    workflowTaskQueue: orchestratorTaskQueue(prefix),
    input: {
      activityTaskQueue: nodeClassTaskQueue(prefix, nodeClass),
      rules: file.rules,
      nodeClasses: nodeClasses.map((c) => c.name),
    },
  };
}

function scheduleBody(s: AlertScheduleSettings) {
  const args: [AlertEvaluationWorkflowInput] = [s.input];
  return {
    spec: { intervals: [{ every: `${s.intervalSeconds}s` as const }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'alertEvaluationWorkflow',
      taskQueue: s.workflowTaskQueue,
      workflowId: `${s.scheduleId}-run`,
      args,
      staticSummary: 'Capstan alert evaluation',
    },
    // An evaluation still running when the next is due makes that one redundant; missed ones are not caught up.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' as const },
  };
}

/** Creates the schedule, or brings an existing one (an earlier start) to these settings and rules. */
export async function ensureAlertSchedule(client: Client, s: AlertScheduleSettings): Promise<'created' | 'updated'> {
  const body = scheduleBody(s);
  try {
    await client.schedule.create({ scheduleId: s.scheduleId, ...body });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(s.scheduleId).update((previous) => ({ ...previous, ...body }));
  return 'updated';
}

/**
 * Puts the schedule of a loaded rules file (at `path`) in place and returns what the API lists; every start
 * creates it or updates it to this file, so there is one schedule under a fixed id however often the API restarts.
 */
export async function putAlertsInPlace(
  client: Client,
  prefix: string,
  loaded: { path: string; file: AlertFile },
  nodeClasses: readonly NodeClass[],
  costNodeClass: string | undefined,
): Promise<{ settings: AlertSettings; outcome: 'created' | 'updated' }> {
  const schedule = alertScheduleSettings(prefix, loaded.file, nodeClasses, costNodeClass);
  const outcome = await ensureAlertSchedule(client, schedule);
  return {
    settings: {
      file: loaded.path,
      rules: loaded.file.rules,
      intervalSeconds: loaded.file.intervalSeconds,
      scheduleId: schedule.scheduleId,
    },
    outcome,
  };
}
