/**
 * A task queue's live workers and backlog from Temporal's DescribeTaskQueue, shared by the API (node-class
 * views) and the activities that need the same figures from the worker side (alert evaluation).
 */
import type { WorkflowService } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

/** One worker that polled the queue. */
export interface PollerInfo {
  identity: string;
  lastSeenAt: string | undefined;
  /** Seen within the liveness window; a stopped worker stays listed by Temporal for minutes. */
  live: boolean;
}

/** Activity or workflow queue. */
export type QueueKind = 'activity' | 'workflow';

/** Work waiting in a queue for a worker, as Temporal's task-queue statistics approximate it. */
export interface QueueBacklog {
  /** Tasks waiting for a worker to take them. */
  tasks: number;
  /** Age of the oldest waiting task, in seconds (0 with none waiting). */
  oldestWaitSeconds: number;
  /** Tasks added and dispatched per second, lately. */
  addRate: number;
  dispatchRate: number;
}

/** What to ask: the queue, its kind, whether to ask for statistics, and how recent a poll makes a worker live. */
export interface DescribeQueueRequest {
  namespace: string;
  taskQueue: string;
  kind: QueueKind;
  stats: boolean;
  livenessSeconds: number;
}

/** The pollers of a task queue and, with `stats`, its backlog (undefined when the server reports none). */
export async function describeTaskQueue(
  service: WorkflowService,
  request: DescribeQueueRequest,
): Promise<{ pollers: PollerInfo[]; backlog?: QueueBacklog }> {
  const { TASK_QUEUE_TYPE_ACTIVITY, TASK_QUEUE_TYPE_WORKFLOW } = temporal.api.enums.v1.TaskQueueType;
  const response = await service.describeTaskQueue({
    namespace: request.namespace,
    taskQueue: { name: request.taskQueue },
    taskQueueType: request.kind === 'activity' ? TASK_QUEUE_TYPE_ACTIVITY : TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: request.stats,
  });
  const now = Date.now();
  const pollers = (response.pollers ?? []).map((poller) => {
    const lastMs = optionalTsToMs(poller.lastAccessTime);
    return {
      identity: poller.identity ?? 'unknown',
      lastSeenAt: lastMs === undefined ? undefined : new Date(lastMs).toISOString(),
      live: lastMs !== undefined && now - lastMs <= request.livenessSeconds * 1000,
    };
  });
  const s = response.stats;
  if (!s) return { pollers };
  const backlog: QueueBacklog = {
    tasks: Number(s.approximateBacklogCount ?? 0),
    oldestWaitSeconds: Math.round((optionalTsToMs(s.approximateBacklogAge) ?? 0) / 1000),
    addRate: s.tasksAddRate ?? 0,
    dispatchRate: s.tasksDispatchRate ?? 0,
  };
  return { pollers, backlog };
}
