/** Live workers of a task queue, read from Temporal's task-queue description, with its backlog when asked. */
import { describeTaskQueue, type PollerInfo, type QueueBacklog, type QueueKind } from '../../config/task-queues';
import type { ApiDeps } from './deps';

export type { PollerInfo, QueueBacklog, QueueKind } from '../../config/task-queues';

/** Lists the pollers of a task queue with their liveness. */
export async function listPollers(deps: ApiDeps, taskQueue: string, kind: QueueKind): Promise<PollerInfo[]> {
  return (await describeQueue(deps, taskQueue, kind, false)).pollers;
}

/** The pollers of a task queue and, with `stats`, its backlog (undefined when the server reports none). */
export function describeQueue(
  deps: ApiDeps,
  taskQueue: string,
  kind: QueueKind,
  stats: boolean,
): Promise<{ pollers: PollerInfo[]; backlog?: QueueBacklog }> {
  return describeTaskQueue(deps.client.workflowService, {
    namespace: deps.namespace,
    taskQueue,
    kind,
    stats,
    livenessSeconds: deps.pollerLivenessSeconds,
  });
}
