/** The worker pools as `GET /v1/node-classes` shows them: config, live workers, busy and free slots, queued work. */
import type { NodeClass } from '../../config/node-classes';
import { openAttempts } from '../../db/stores/open-attempts';
import { listKnownWorkers } from '../../db/stores/worker-reports';
import { nodeClassTaskQueue } from '../../workflows/contracts/node-class';
import type { ApiDeps } from './deps';
import { describeQueue, type PollerInfo, type QueueBacklog } from './pollers';
import { healthOf, lostAfterMs, type WorkerHealth } from './worker-views';

/** An attempt row refreshed this recently counts as busy; workers refresh every 15 s. */
const BUSY_FRESH_SECONDS = 60;

/**
 * One worker of a class: Temporal's view (polling now or lately) merged by identity with the registry's (its latest
 * health report). A poller that never reported has no `health`; a reported worker that no longer polls has no
 * `lastSeenAt`, and is live while its reports come (all its slots busy), its `health.state` saying otherwise.
 */
export interface NodeClassWorker extends PollerInfo {
  busySlots: number;
  health?: WorkerHealth;
}

/** One pool with its workers and load. */
export interface NodeClassView extends NodeClass {
  taskQueue: string;
  liveWorkers: number;
  capacity: number;
  /** Metered attempts (tasks, pipeline steps) running now on the class's live workers. */
  busySlots: number;
  /** Capacity not in use: what more the live workers would start now. */
  freeSlots: number;
  workers: NodeClassWorker[];
  /** Work waiting for a worker; absent when the server reports no statistics. */
  backlog?: QueueBacklog;
}

/** Every configured node class with its live workers, their health, busy and free slots, and backlog. */
export async function listNodeClassViews(deps: ApiDeps): Promise<NodeClassView[]> {
  const [open, known] = await Promise.all([
    openAttempts(deps.db, BUSY_FRESH_SECONDS),
    listKnownWorkers(deps.db, lostAfterMs(deps)),
  ]);
  return Promise.all(
    deps.nodeClasses.map(async (nodeClass) => {
      const taskQueue = nodeClassTaskQueue(deps.taskQueuePrefix, nodeClass.name);
      const { pollers, backlog } = await describeQueue(deps, taskQueue, 'activity', true);
      const busyOf = (identity: string) =>
        open.find((o) => o.nodeClass === nodeClass.name && o.worker === identity)?.running ?? 0;
      const reported = new Map(known.filter((w) => w.nodeClass === nodeClass.name).map((w) => [w.identity, w]));
      const workers: NodeClassWorker[] = pollers.map((p) => {
        const report = reported.get(p.identity);
        // Temporal lists a worker that shut down cleanly as polling for a while yet, and one whose slots are all busy
        // stops polling; the worker's own reports are better evidence both ways.
        const live = report?.state === 'stopped' ? false : p.live || report?.state === 'live';
        return {
          ...p,
          live,
          busySlots: live ? busyOf(p.identity) : 0,
          ...(report ? { health: healthOf(report) } : {}),
        };
      });
      // Reported workers Temporal no longer lists; a clean stop is history (GET /v1/workers), a loss is news.
      const polling = new Set(pollers.map((p) => p.identity));
      for (const report of reported.values()) {
        if (polling.has(report.identity) || report.state === 'stopped') continue;
        // Still reporting, so still there: busy on every slot (Temporal drops a worker that stopped polling).
        const live = report.state === 'live';
        workers.push({
          identity: report.identity,
          lastSeenAt: undefined,
          live,
          busySlots: live ? busyOf(report.identity) : 0,
          health: healthOf(report),
        });
      }
      const liveWorkers = workers.filter((w) => w.live).length;
      const capacity = liveWorkers * nodeClass.concurrency;
      const busySlots = workers.reduce((sum, w) => sum + w.busySlots, 0);
      return {
        ...nodeClass,
        taskQueue,
        liveWorkers,
        capacity,
        busySlots,
        freeSlots: Math.max(0, capacity - busySlots),
        workers,
        ...(backlog ? { backlog } : {}),
      };
    }),
  );
}
