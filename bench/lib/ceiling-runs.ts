/** What the runs themselves say, from Temporal's visibility: how many of a batch ended, in which state, and how long each took. */
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';

/** Statuses a run can end in besides Completed, counted one by one when some runs did not complete. */
const OTHER_END_STATES = ['Failed', 'Canceled', 'Terminated', 'TimedOut', 'ContinuedAsNew'];

/** The visibility filter for runs whose name starts with `prefix` (the bench names each batch's tasks alike). */
function named(prefix: string): string {
  return `CapstanName STARTS_WITH '${prefix}'`;
}

/** Runs of the batch that are no longer running. */
export async function countEnded(client: Client, prefix: string): Promise<number> {
  return (await client.workflow.count(`${named(prefix)} AND ExecutionStatus != 'Running'`)).count;
}

/** End states of the batch: Completed and each other state that occurred, with counts. */
export async function endStates(client: Client, prefix: string): Promise<Record<string, number>> {
  const states: Record<string, number> = {};
  const completed = (await client.workflow.count(`${named(prefix)} AND ExecutionStatus = 'Completed'`)).count;
  states.Completed = completed;
  const ended = await countEnded(client, prefix);
  if (ended === completed) return states;
  for (const status of OTHER_END_STATES) {
    const n = (await client.workflow.count(`${named(prefix)} AND ExecutionStatus = '${status}'`)).count;
    if (n > 0) states[status] = n;
  }
  return states;
}

/** Start-to-close time (Temporal's StartTime → CloseTime) of every ended run of the batch, in ms. */
export async function runDurations(client: Client, prefix: string, namespace = 'default'): Promise<number[]> {
  const durations: number[] = [];
  let token: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace,
      query: `${named(prefix)} AND ExecutionStatus != 'Running'`,
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
