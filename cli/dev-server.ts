/** Runs `temporal server start-dev` as a child process with Capstan's settings, and stops it cleanly. */
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { ensureSearchAttributes } from './search-attributes';
import { stopChild } from './stop-child';

/** The history queues' read rates Capstan raises on a one-shard server (transfer: tasks; timer: timers firing; visibility: lists). */
export const HISTORY_QUEUE_POLL_RATES: Record<string, string> = {
  'history.transferProcessorMaxPollRPS': '1000',
  'history.timerProcessorMaxPollRPS': '1000',
  'history.visibilityProcessorMaxPollRPS': '1000',
};

/**
 * Dynamic config for the dev server. One task-queue partition lets `DescribeTaskQueue` (which reads
 * only the root partition) see every poller and keeps priority order exact; the new matcher turns
 * task priority on. The history service reads its task queues at most 20 times a second per shard
 * by default, and the dev server has one shard: every workflow and activity task then waits up to
 * 50 ms before it is even handed to matching, about 100 ms a step of any chain. The reads are of
 * rows already written, so raising the rate costs no durability (docs/performance.md).
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, string> = {
  'matching.numTaskqueueReadPartitions': '1',
  'matching.numTaskqueueWritePartitions': '1',
  'matching.useNewMatcher': 'true',
  // Tasks of a run carry its team as fairness key (CAPSTAN_FAIRNESS_LABEL): one team's backlog then cannot starve
  // another's on a shared class. Fair queues keep their backlog in tables of their own (tasks_v2), which the SQLite
  // and PostgreSQL schemas of server 1.29 have; 1.29 moves no backlog between the two, so a task queued (with no
  // worker free) by a server that ran without this waits until it is turned off again: drain queues before upgrading.
  'matching.enableFairness': 'true',
  ...HISTORY_QUEUE_POLL_RATES,
  // Events that arrive while a workflow task is running are buffered; past 100 the server fails that task
  // (FORCE_CLOSE_COMMAND), and the orchestrator replays the whole execution to try again. A DAG with 100 tasks
  // finishing per second met that after any slow task and fell into replays (6 per execution of a 10,000-task run).
  'history.maximumBufferedEventsBatch': '1000',
};

/** How to start the dev server. */
export interface DevServerOptions {
  binary: string;
  /** SQLite file that keeps runs across restarts. */
  dbFile: string;
  ip: string;
  port: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
  namespace: string;
  /** File that receives the server's own log. */
  logFile: string;
  dynamicConfig?: Record<string, string>;
  /** SQLite pragmas for the server's database file; undefined uses DEV_SERVER_SQLITE_PRAGMAS. */
  sqlitePragmas?: Record<string, string>;
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number;
}

/**
 * The dev server's settings for `npm start`: fair queues only when runs carry a team (CAPSTAN_FAIRNESS_LABEL), so an
 * existing SQLite file whose queues hold work from before fairness keeps serving it (1.29 does not move a backlog
 * into fair queues); turning fairness on is then the user's choice, made with drained queues.
 */
export function devServerDynamicConfig(fairness: boolean): Record<string, string> {
  if (fairness) return DEV_SERVER_DYNAMIC_CONFIG;
  return Object.fromEntries(
    Object.entries(DEV_SERVER_DYNAMIC_CONFIG).filter(([key]) => key !== 'matching.enableFairness'),
  );
}

/**
 * SQLite pragmas for the dev server's file. SQLite's default rollback journal syncs the disk several
 * times per commit and lets one writer in at a time, so every start and every task's state change
 * queue behind the disk. A write-ahead log synced at checkpoints keeps every committed row across a
 * crash or kill -9 of the server (the log is in the file system's cache); only a crash of the whole
 * machine can lose the last commits.
 */
export const DEV_SERVER_SQLITE_PRAGMAS: Record<string, string> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

/** A running dev server. */
export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** Sends SIGTERM and waits for the server to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Starts the dev server and resolves once its frontend answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  await mkdir(dirname(options.dbFile), { recursive: true });
  await mkdir(dirname(options.logFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    options.ip,
    '--port',
    String(options.port),
    '--db-filename',
    options.dbFile,
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...Object.entries(REQUIRED_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...Object.entries(options.dynamicConfig ?? DEV_SERVER_DYNAMIC_CONFIG).flatMap(([k, v]) => [
      '--dynamic-config-value',
      `${k}=${v}`,
    ]),
    ...Object.entries(options.sqlitePragmas ?? DEV_SERVER_SQLITE_PRAGMAS).flatMap(([k, v]) => [
      '--sqlite-pragma',
      `${k}=${v}`,
    ]),
  ];
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  // Once both pipes are drained, however the server ended (stopped, crashed, killed).
  child.once('close', () => log.end());
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `${options.ip}:${options.port}`;
  let ready: boolean;
  try {
    ready = await Promise.race([
      waitForFrontend(address, options.namespace, options.readyTimeoutMs ?? 60_000).then(() => true),
      exited.then(() => false),
    ]);
  } catch (err) {
    // A server that never answered must not outlive the failed start.
    child.kill('SIGKILL');
    throw err;
  }
  if (!ready) {
    throw new Error(
      `the Temporal dev server exited during start; see ${options.logFile} (is port ${options.port} already in use?)`,
    );
  }
  try {
    await ensureSearchAttributes(address, options.namespace);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://${options.ip}:${options.uiPort}`,
    process: child,
    stop: () => stopChild(child, 10_000),
  };
}

/** Waits until the frontend answers for the namespace, retrying while it boots. */
export async function waitForFrontend(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${(lastError as Error)?.message}`);
}
