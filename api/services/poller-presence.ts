/** Whether a task queue has a live poller, asked of Temporal at most once per queue every few seconds. */
import type { ApiDeps } from './deps';
import { listPollers, type QueueKind } from './pollers';

/** How long an answer is reused: a worker that just stopped or started shows in a run's warnings this much later. */
export const POLLER_PRESENCE_TTL_MS = 2000;

interface Entry {
  at: number;
  live: Promise<boolean>;
}

// Per deps (one per app), so two apps in one process (tests) never share answers about their own servers.
const answers = new WeakMap<ApiDeps, Map<string, Entry>>();

/**
 * True when some worker polled `taskQueue` within the liveness window. Concurrent callers share one
 * DescribeTaskQueue call, so reads of many running runs cost one call per queue, not one each.
 */
export function hasLivePoller(deps: ApiDeps, taskQueue: string, kind: QueueKind): Promise<boolean> {
  const cache = answers.get(deps) ?? new Map<string, Entry>();
  answers.set(deps, cache);
  const key = `${kind}:${taskQueue}`;
  const now = Date.now();
  const entry = cache.get(key);
  if (entry && now - entry.at < (deps.caches?.pollerMs ?? POLLER_PRESENCE_TTL_MS)) return entry.live;
  const live = listPollers(deps, taskQueue, kind).then((pollers) => pollers.some((p) => p.live));
  cache.set(key, { at: now, live });
  // A failed call is not kept: the next request asks again.
  live.catch(() => {
    if (cache.get(key)?.live === live) cache.delete(key);
  });
  return live;
}
