/** The worker pools as `GET /v1/node-classes` shows them: config, live workers, busy slots and queued work. */
import type { NodeClass } from '../../config/node-classes';
import { openAttempts } from '../../db/stores/open-attempts';
import { nodeClassTaskQueue } from '../../workflows/contracts/node-class';
import type { ApiDeps } from './deps';
import { describeQueue, type PollerInfo, type QueueBacklog } from './pollers';

/** An attempt row refreshed this recently counts as busy; workers refresh every 15 s. */
const BUSY_FRESH_SECONDS = 60;

/** One pool with its workers and load. */
export interface NodeClassView extends NodeClass {
  taskQueue: string;
  liveWorkers: number;
  capacity: number;
  /** Metered attempts (tasks, pipeline steps) running now on the class's live workers. */
  busySlots: number;
  workers: Array<PollerInfo & { busySlots: number }>;
  /** Work waiting for a worker; absent when the server reports no statistics. */
  backlog?: QueueBacklog;
}

/** Every configured node class with its live workers, busy slots and backlog. */
export async function listNodeClassViews(deps: ApiDeps): Promise<NodeClassView[]> {
  const open = await openAttempts(deps.db, BUSY_FRESH_SECONDS);
  return Promise.all(
    deps.nodeClasses.map(async (nodeClass) => {
      const taskQueue = nodeClassTaskQueue(deps.taskQueuePrefix, nodeClass.name);
      const { pollers, backlog } = await describeQueue(deps, taskQueue, 'activity', true);
      const busyOf = (identity: string) =>
        open.find((o) => o.nodeClass === nodeClass.name && o.worker === identity)?.running ?? 0;
      const workers = pollers.map((p) => ({ ...p, busySlots: p.live ? busyOf(p.identity) : 0 }));
      const liveWorkers = workers.filter((w) => w.live).length;
      return {
        ...nodeClass,
        taskQueue,
        liveWorkers,
        capacity: liveWorkers * nodeClass.concurrency,
        busySlots: workers.reduce((sum, w) => sum + w.busySlots, 0),
        workers,
        ...(backlog ? { backlog } : {}),
      };
    }),
  );
}
