/** Reads the summaries the Temporal Web UI shows from a run's real history. */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

/** One summarised event: the activity or child workflow type (or `timer`) and its summary. */
export interface SummarisedEvent {
  type: string;
  summary: string | undefined;
}

/** Activities scheduled, timers started and child workflows started by `workflowId`, in history order. */
export async function historySummaries(client: Client, workflowId: string): Promise<SummarisedEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const type =
      event.activityTaskScheduledEventAttributes?.activityType?.name ??
      event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ??
      (event.timerStartedEventAttributes ? 'timer' : undefined);
    if (type === undefined) return [];
    const payload = event.userMetadata?.summary;
    return [{ type, summary: payload ? defaultPayloadConverter.fromPayload<string>(payload) : undefined }];
  });
}
