/** The fleet registry as the API shows it: each worker's latest health report, its state, and its short history. */
import {
  listKnownWorkers,
  listWorkerReports,
  type KnownWorker,
  type MachineFigures,
} from '../../db/stores/worker-reports';
import { ApiError } from '../errors';
import type { ApiDeps } from './deps';

/** Three missed 15-second reports and a little, as CAPSTAN_WORKER_LOST_AFTER_SECONDS defaults. */
export const DEFAULT_WORKER_LOST_AFTER_SECONDS = 50;

/** A worker's latest report, as `GET /v1/workers` and each node class's workers show it. */
export interface WorkerHealth extends MachineFigures {
  host: string;
  version: string;
  state: KnownWorker['state'];
  reportedAt: string;
  reportIntervalSeconds: number;
  runningAttempts: number;
  slots: number;
}

/** A known worker with its class, identity and when it was first seen. */
export interface WorkerView extends WorkerHealth {
  identity: string;
  nodeClass: string;
  firstSeenAt: string;
  stoppedAt?: string;
}

/** How long after its last report a worker counts as lost. */
export function lostAfterMs(deps: ApiDeps): number {
  return (deps.workerLostAfterSeconds ?? DEFAULT_WORKER_LOST_AFTER_SECONDS) * 1000;
}

/** The health part of a registry row. */
export function healthOf(worker: KnownWorker): WorkerHealth {
  return {
    host: worker.host,
    version: worker.version,
    state: worker.state,
    reportedAt: worker.reportedAt.toISOString(),
    reportIntervalSeconds: worker.intervalMs / 1000,
    cpus: worker.cpus,
    load1: worker.load1,
    load5: worker.load5,
    load15: worker.load15,
    memoryTotalBytes: worker.memoryTotalBytes,
    memoryAvailableBytes: worker.memoryAvailableBytes,
    diskPath: worker.diskPath,
    diskTotalBytes: worker.diskTotalBytes,
    diskFreeBytes: worker.diskFreeBytes,
    runningAttempts: worker.runningAttempts,
    slots: worker.slots,
  };
}

/** Every known worker (of one class when given), newest report first. */
export async function listWorkerViews(deps: ApiDeps, nodeClass?: string): Promise<WorkerView[]> {
  const workers = await listKnownWorkers(deps.db, lostAfterMs(deps), nodeClass);
  return workers.map((worker) => ({
    identity: worker.identity,
    nodeClass: worker.nodeClass,
    ...healthOf(worker),
    firstSeenAt: worker.firstSeenAt.toISOString(),
    ...(worker.stoppedAt ? { stoppedAt: worker.stoppedAt.toISOString() } : {}),
  }));
}

/** A worker's short history, newest first; 404 when the registry has neither the worker nor any report of it. */
export async function workerReportHistory(deps: ApiDeps, identity: string, limit: number) {
  const reports = await listWorkerReports(deps.db, identity, limit);
  if (reports.length === 0) {
    const known = await listKnownWorkers(deps.db, lostAfterMs(deps));
    if (!known.some((w) => w.identity === identity))
      throw new ApiError(404, 'worker_not_found', `no worker with identity "${identity}"`);
  }
  return {
    identity,
    reports: reports.map((r) => ({ ...r, reportedAt: r.reportedAt.toISOString() })),
  };
}
