/**
 * The orchestrator worker (Capstan's workflows) and what it shares with the node-class worker. Kept
 * apart from create-worker, whose activity imports (Pulumi's SDK among them) cost the orchestrator
 * process ~90 MB of RSS that it never uses.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { hostname } from 'node:os';
import type { CapstanConfig } from '../config/env';
import { capstanDataConverter } from '../config/payload-codec';
import { orchestratorTaskQueue } from '../workflows/contracts/node-class';

/** Worker identity naming host, role or class, and process, as shown in results and task-queue listings. */
export function workerIdentity(role: string): string {
  return `${hostname()}/${role}/${process.pid}`;
}

/** Connects to the Temporal frontend named in the config. */
export function connectWorker(config: CapstanConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.temporal.address });
}

/**
 * A worker that runs every Capstan workflow from the orchestrator task queue; from `bundleCode` when
 * given (see bundle-workflows), otherwise bundled in this process.
 */
export function createOrchestratorWorker(
  connection: NativeConnection,
  config: CapstanConfig,
  bundleCode?: string,
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: orchestratorTaskQueue(config.taskQueuePrefix),
    ...(bundleCode === undefined
      ? { workflowsPath: require.resolve('../workflows') }
      : { workflowBundle: { code: bundleCode } }),
    identity: workerIdentity('orchestrator'),
    dataConverter: capstanDataConverter,
    shutdownGraceTime: `${config.worker.shutdownGraceSeconds}s`,
  });
}
