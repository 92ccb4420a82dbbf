/** Live workers of a task queue, read from Temporal's task-queue description. */
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { ApiDeps } from './deps';

/** One worker that polled the queue. */
export interface PollerInfo {
  identity: string;
  lastSeenAt: string | undefined;
  /** Seen within the liveness window; a stopped worker stays listed by Temporal for minutes. */
  live: boolean;
}

/** Activity or workflow queue. */
export type QueueKind = 'activity' | 'workflow';

/** Lists the pollers of a task queue with their liveness. */
export async function listPollers(deps: ApiDeps, taskQueue: string, kind: QueueKind): Promise<PollerInfo[]> {
  const { TASK_QUEUE_TYPE_ACTIVITY, TASK_QUEUE_TYPE_WORKFLOW } = temporal.api.enums.v1.TaskQueueType;
  const response = await deps.client.workflowService.describeTaskQueue({
    namespace: deps.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: kind === 'activity' ? TASK_QUEUE_TYPE_ACTIVITY : TASK_QUEUE_TYPE_WORKFLOW,
  });
  const now = Date.now();
  return (response.pollers ?? []).map((poller) => {
    const lastMs = optionalTsToMs(poller.lastAccessTime);
    return {
      identity: poller.identity ?? 'unknown',
      lastSeenAt: lastMs === undefined ? undefined : new Date(lastMs).toISOString(),
      live: lastMs !== undefined && now - lastMs <= deps.pollerLivenessSeconds * 1000,
    };
  });
}
