/** What the runs themselves say, from Temporal's visibility: how many of a batch ended, in which state, and how long each took. */
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';

/** Statuses a run can end in besides Completed, counted one by one when some runs did not complete. */
const OTHER_END_STATES = ['Failed', 'Canceled', 'Terminated', 'TimedOut', 'ContinuedAsNew'];

/** The visibility filter for Capstan runs whose name starts with `prefix` (the bench names each batch's tasks alike). */
export function byName(prefix: string): string {
  return `CapstanName STARTS_WITH '${prefix}'`;
}

/** The visibility filter for raw workflows whose id starts with `prefix`. */
export function byWorkflowId(prefix: string): string {
  return `WorkflowId STARTS_WITH '${prefix}'`;
}

/** Runs of the batch (`filter`, see byName) that are no longer running. */
export async function countEnded(client: Client, filter: string): Promise<number> {
  return (await client.workflow.count(`${filter} AND ExecutionStatus != 'Running'`)).count;
}

/** End states of the batch: Completed and each other state that occurred, with counts. */
export async function endStates(client: Client, filter: string): Promise<Record<string, number>> {
  const states: Record<string, number> = {};
  const completed = (await client.workflow.count(`${filter} AND ExecutionStatus = 'Completed'`)).count;
  states.Completed = completed;
  const ended = await countEnded(client, filter);
  if (ended === completed) return states;
  for (const status of OTHER_END_STATES) {
    const n = (await client.workflow.count(`${filter} AND ExecutionStatus = '${status}'`)).count;
    if (n > 0) states[status] = n;
  }
  return states;
}

/** Start-to-close time (Temporal's StartTime → CloseTime) of every ended run of the batch, in ms. */
export async function runDurations(client: Client, filter: string, namespace = 'default'): Promise<number[]> {
  const durations: number[] = [];
  let token: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace,
      query: `${filter} AND ExecutionStatus != 'Running'`,
      pageSize: 1000,
      nextPageToken: token,
    });
    for (const e of page.executions ?? []) {
      const start = optionalTsToMs(e.startTime);
      const close = optionalTsToMs(e.closeTime);
      if (start !== undefined && close !== undefined) durations.push(close - start);
    }
    token = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (token);
  return durations;
}

/** What one run of the batch asked of Temporal: its history's events, workflow tasks, and activities by type. */
export interface RunShape {
  runId: string;
  events: number;
  workflowTasks: number;
  activities: Record<string, number>;
}

/** The history of one run of the batch, or undefined when visibility has none. */
export async function runShape(client: Client, filter: string, namespace = 'default'): Promise<RunShape | undefined> {
  const page = await client.workflowService.listWorkflowExecutions({
    namespace,
    query: `${filter} AND ExecutionStatus = 'Completed'`,
    pageSize: 1,
  });
  const runId = page.executions?.[0]?.execution?.workflowId;
  if (!runId) return undefined;
  const history = await client.workflow.getHandle(runId).fetchHistory();
  const events = history.events ?? [];
  const activities: Record<string, number> = {};
  let workflowTasks = 0;
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) workflowTasks++;
    const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) activities[type] = (activities[type] ?? 0) + 1;
  }
  return { runId, events: events.length, workflowTasks, activities };
}
