/** The fleet registry: the latest report of each node-class worker process, and a short history of them. */
import type { Queryable } from '../queryable';

/** A machine's CPU, load, memory and workspace disk at one moment, as a worker reads them. */
export interface MachineFigures {
  cpus: number;
  load1: number;
  load5: number;
  load15: number;
  memoryTotalBytes: number;
  /** What a new process could get without swapping: Linux's MemAvailable, not MemFree. */
  memoryAvailableBytes: number;
  /** The workspace volume the worker runs tasks in. */
  diskPath: string;
  diskTotalBytes: number;
  /** Free to an unprivileged user (statfs `f_bavail`), what `df` calls Avail; the root reserve is not counted. */
  diskFreeBytes: number;
}

/** What a worker says about itself and its machine at each interval. */
export interface WorkerReport extends MachineFigures {
  /** The worker's Temporal identity (also the `worker` of its metered attempts). */
  identity: string;
  nodeClass: string;
  /** The host name the worker answers to (`CAPSTAN_WORKER_HOST`, else the machine's host name). */
  host: string;
  /** Capstan's version (package version and commit) the worker runs. */
  version: string;
  /** How often the worker reports, so readers can judge staleness without configuration of their own. */
  intervalMs: number;
  runningAttempts: number;
  slots: number;
}

/** A worker as the registry knows it: its latest report, when it came, and whether the worker is still there. */
export interface KnownWorker extends WorkerReport {
  firstSeenAt: Date;
  reportedAt: Date;
  stoppedAt: Date | undefined;
  /** `live` reports on time; `lost` stopped reporting without saying so; `stopped` shut down cleanly. */
  state: 'live' | 'lost' | 'stopped';
}

interface WorkerRow {
  identity: string;
  node_class: string;
  host: string;
  version: string;
  interval_ms: number;
  cpus: number;
  load1: number;
  load5: number;
  load15: number;
  memory_total_bytes: string;
  memory_available_bytes: string;
  disk_path: string;
  disk_total_bytes: string;
  disk_free_bytes: string;
  running_attempts: number;
  slots: number;
  first_seen_at: Date;
  reported_at: Date;
  stopped_at: Date | null;
  lost: boolean;
}

/** Records one report: the worker's latest row is replaced and a history row added, in one statement. */
export async function recordWorkerReport(db: Queryable, report: WorkerReport): Promise<void> {
  await db.query(
    `WITH latest AS (
       INSERT INTO workers (identity, node_class, host, version, reported_at, interval_ms, stopped_at, cpus, load1,
         load5, load15, memory_total_bytes, memory_available_bytes, disk_path, disk_total_bytes, disk_free_bytes,
         running_attempts, slots)
       VALUES ($1, $2, $3, $4, now(), $5, NULL, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (identity) DO UPDATE SET node_class = EXCLUDED.node_class, host = EXCLUDED.host,
         version = EXCLUDED.version, reported_at = EXCLUDED.reported_at, interval_ms = EXCLUDED.interval_ms,
         stopped_at = NULL, cpus = EXCLUDED.cpus, load1 = EXCLUDED.load1, load5 = EXCLUDED.load5,
         load15 = EXCLUDED.load15, memory_total_bytes = EXCLUDED.memory_total_bytes,
         memory_available_bytes = EXCLUDED.memory_available_bytes, disk_path = EXCLUDED.disk_path,
         disk_total_bytes = EXCLUDED.disk_total_bytes, disk_free_bytes = EXCLUDED.disk_free_bytes,
         running_attempts = EXCLUDED.running_attempts, slots = EXCLUDED.slots
       RETURNING identity, reported_at, load1, memory_available_bytes, disk_free_bytes, running_attempts)
     INSERT INTO worker_reports (identity, reported_at, load1, memory_available_bytes, disk_free_bytes, running_attempts)
     SELECT * FROM latest ON CONFLICT DO NOTHING`,
    [
      report.identity,
      report.nodeClass,
      report.host,
      report.version,
      report.intervalMs,
      report.cpus,
      report.load1,
      report.load5,
      report.load15,
      report.memoryTotalBytes,
      report.memoryAvailableBytes,
      report.diskPath,
      report.diskTotalBytes,
      report.diskFreeBytes,
      report.runningAttempts,
      report.slots,
    ],
  );
}

/** Marks a worker stopped on a clean shutdown, so it is not reported lost. */
export async function markWorkerStopped(db: Queryable, identity: string): Promise<void> {
  await db.query('UPDATE workers SET stopped_at = now() WHERE identity = $1', [identity]);
}

/**
 * Every worker the registry knows (optionally of one class), newest report first; a worker is lost when its last
 * report is older than `lostAfterMs`, or than three of its own intervals if it reports less often (on the
 * database's clock, which every process shares).
 */
export async function listKnownWorkers(db: Queryable, lostAfterMs: number, nodeClass?: string): Promise<KnownWorker[]> {
  const { rows } = await db.query<WorkerRow>(
    `SELECT *, reported_at < now() - make_interval(secs => GREATEST($1::float8, 3 * interval_ms) / 1000) AS lost FROM workers
     WHERE $2::text IS NULL OR node_class = $2 ORDER BY reported_at DESC`,
    [lostAfterMs, nodeClass ?? null],
  );
  return rows.map(toKnownWorker);
}

/** One row of a worker's short history. */
export interface WorkerReportPoint {
  reportedAt: Date;
  load1: number;
  memoryAvailableBytes: number;
  diskFreeBytes: number;
  runningAttempts: number;
}

/** A worker's history, newest first, at most `limit` rows; empty for an identity never seen (or swept). */
export async function listWorkerReports(db: Queryable, identity: string, limit: number): Promise<WorkerReportPoint[]> {
  const { rows } = await db.query<{
    reported_at: Date;
    load1: number;
    memory_available_bytes: string;
    disk_free_bytes: string;
    running_attempts: number;
  }>(
    `SELECT reported_at, load1, memory_available_bytes, disk_free_bytes, running_attempts FROM worker_reports
     WHERE identity = $1 ORDER BY reported_at DESC LIMIT $2`,
    [identity, limit],
  );
  return rows.map((row) => ({
    reportedAt: row.reported_at,
    load1: row.load1,
    memoryAvailableBytes: Number(row.memory_available_bytes),
    diskFreeBytes: Number(row.disk_free_bytes),
    runningAttempts: row.running_attempts,
  }));
}

/** Removes history rows older than `cutoff`, and workers gone (lost or stopped) since before it; returns rows removed. */
export async function removeWorkerReportsBefore(db: Queryable, cutoff: Date): Promise<number> {
  const history = await db.query('DELETE FROM worker_reports WHERE reported_at < $1', [cutoff]);
  const gone = await db.query('DELETE FROM workers WHERE reported_at < $1', [cutoff]);
  return (history.rowCount ?? 0) + (gone.rowCount ?? 0);
}

function toKnownWorker(row: WorkerRow): KnownWorker {
  return {
    identity: row.identity,
    nodeClass: row.node_class,
    host: row.host,
    version: row.version,
    intervalMs: row.interval_ms,
    cpus: row.cpus,
    load1: row.load1,
    load5: row.load5,
    load15: row.load15,
    memoryTotalBytes: Number(row.memory_total_bytes),
    memoryAvailableBytes: Number(row.memory_available_bytes),
    diskPath: row.disk_path,
    diskTotalBytes: Number(row.disk_total_bytes),
    diskFreeBytes: Number(row.disk_free_bytes),
    runningAttempts: row.running_attempts,
    slots: row.slots,
    firstSeenAt: row.first_seen_at,
    reportedAt: row.reported_at,
    stoppedAt: row.stopped_at ?? undefined,
    state: row.stopped_at ? 'stopped' : row.lost ? 'lost' : 'live',
  };
}
