/** The bench's in-process workers: Capstan's real pair (orchestrator + node class) and the raw-Temporal pair. */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import type { CapstanConfig } from '../../config/env';
import type { NodeClass } from '../../config/node-classes';
import type { Pool } from 'pg';
import { AttemptLedger } from '../../db/stores/attempt-ledger';
import { createLogger } from '../../config/logger';
import { createNodeClassWorker, createOrchestratorWorker } from '../../workers/create-worker';
import * as rawActivities from '../raw-activities';

/** Task queues of the raw baseline; separate from Capstan's so neither pair steals the other's tasks. */
export interface RawQueues {
  workflowQueue: string;
  activityQueue: string;
}

/** Workers that are polling, and how to stop them. */
export interface RunningWorkers {
  /** Throws the error that made a worker stop by itself, so a phase does not wait on a dead worker. */
  assertAlive(): void;
  stop(): Promise<void>;
}

/** Warnings every split worker pair raises by design (a workflow-only or activity-only worker); not news. */
const EXPECTED_WARNINGS = [/^No activities registered/, /^No workflows registered/];

function logToStderr(entry: LogEntry): void {
  if (EXPECTED_WARNINGS.some((re) => re.test(entry.message))) return;
  const meta = entry.meta === undefined ? '' : ` ${JSON.stringify(entry.meta)}`;
  process.stderr.write(`[temporal ${entry.level}] ${entry.message}${meta}\n`);
}

/**
 * Installs the SDK runtime once with a WARN logger on stderr: the activity logs two INFO lines per
 * task, which would flood the report. No shutdown signals, because the bench stops its workers itself.
 */
export function installQuietRuntime(): void {
  Runtime.install({ logger: new DefaultLogger('WARN', logToStderr), shutdownSignals: [] });
}

/** The loaded config pointed at one bench server, with a queue prefix no other run shares and workspaces in scratch. */
export function benchConfig(base: CapstanConfig, address: string, prefix: string, workspaceDir: string): CapstanConfig {
  return {
    ...base,
    taskQueuePrefix: prefix,
    temporal: { ...base.temporal, address, namespace: 'default' },
    // Short grace: at the end nothing is running, and a long grace would only slow the shutdown down.
    worker: { ...base.worker, workspaceDir, keepWorkspaces: false, shutdownGraceSeconds: 2 },
  };
}

/** Runs the given workers until `stop`; remembers the first one that dies by itself. */
function runWorkers(workers: Worker[]): RunningWorkers {
  let failure: unknown;
  const runs = workers.map((w) =>
    w.run().catch((err: unknown) => {
      failure ??= err;
    }),
  );
  return {
    assertAlive: () => {
      if (failure !== undefined) throw failure;
    },
    stop: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(runs);
    },
  };
}

/**
 * Starts Capstan's orchestrator worker (unless `withOrchestrator` is false: it runs in a process of its
 * own) and the node-class worker for `nodeClass` (none when undefined: the phase runs its own
 * elsewhere), exactly as `npm start` builds them.
 */
export async function startCapstanWorkers(
  connection: NativeConnection,
  config: CapstanConfig,
  nodeClass: NodeClass | undefined,
  db: Pool,
  withOrchestrator = true,
): Promise<RunningWorkers> {
  const orchestrator = withOrchestrator ? [await createOrchestratorWorker(connection, config)] : [];
  if (!nodeClass) return runWorkers(orchestrator);
  const nodeWorker = await createNodeClassWorker(
    connection,
    config,
    nodeClass,
    new AttemptLedger(db),
    createLogger('bench-worker', 'warn'),
    db,
  );
  return runWorkers([...orchestrator, nodeWorker]);
}

/** Starts the raw baseline pair; the activity worker gets the same concurrency as Capstan's node class for a fair match. */
export async function startRawWorkers(
  connection: NativeConnection,
  queues: RawQueues,
  concurrency: number,
): Promise<RunningWorkers> {
  const workflowWorker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: queues.workflowQueue,
    workflowsPath: require.resolve('../raw-workflow'),
    shutdownGraceTime: '2s',
  });
  const activityWorker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: queues.activityQueue,
    activities: rawActivities,
    maxConcurrentActivityTaskExecutions: concurrency,
    shutdownGraceTime: '2s',
  });
  return runWorkers([workflowWorker, activityWorker]);
}
