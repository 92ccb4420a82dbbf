/** The submit-time check of `host`: a task may name only a host where a worker of its class was ever seen. */
import { listKnownWorkers } from '../../db/stores/worker-reports';
import type { FieldIssue } from '../../config/zod-issues';
import { validationError } from '../errors';
import type { ApiDeps } from './deps';
import { lostAfterMs } from './worker-views';

/** One task's `host`, with the field that names it in the request. */
export interface HostTarget {
  field: string;
  nodeClass: string;
  host: string | undefined;
}

/**
 * Throws a 400 naming each `host` no worker of the task's class ever reported from (within the registry's
 * retention), listing the hosts that were. A host seen but lost now passes: its task waits for it to return.
 */
export async function checkHosts(deps: ApiDeps, targets: HostTarget[], what: string): Promise<void> {
  const aimed = targets.filter((t): t is HostTarget & { host: string } => t.host !== undefined);
  if (aimed.length === 0) return;
  const known = await listKnownWorkers(deps.db, lostAfterMs(deps));
  const issues: FieldIssue[] = [];
  for (const target of aimed) {
    const hosts = [...new Set(known.filter((w) => w.nodeClass === target.nodeClass).map((w) => w.host))].sort();
    if (hosts.includes(target.host)) continue;
    const seen = hosts.length > 0 ? `hosts seen: ${hosts.join(', ')}` : 'no worker of that class has reported yet';
    issues.push({
      field: target.field,
      message: `no worker of node class "${target.nodeClass}" was ever seen on host "${target.host}"; ${seen}`,
    });
  }
  if (issues.length > 0) throw validationError(issues, what);
}

/** True when a worker of `nodeClass` on `host` reports on time (the registry's `live`), or when the registry cannot say. */
export async function hostIsLive(deps: ApiDeps, nodeClass: string, host: string): Promise<boolean> {
  // A run's detail must not fail, nor warn wrongly, because the database did not answer this once.
  const known = await listKnownWorkers(deps.db, lostAfterMs(deps), nodeClass).catch(() => undefined);
  return known === undefined || known.some((w) => w.host === host && w.state === 'live');
}
