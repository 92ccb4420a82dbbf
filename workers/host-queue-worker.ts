/** The worker on the per-host queue of a node class: tasks that name this host (`host`) run here and nowhere else. */
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createShellActivities } from '../activities/shell';
import type { AttemptLedger } from '../db/stores/attempt-ledger';
import type { CapstanConfig } from '../config/env';
import type { Logger } from '../config/logger';
import type { NodeClass } from '../config/node-classes';
import { hostTaskQueue, nodeClassTaskQueue } from '../workflows/contracts/node-class';
import { classResourceGate, meteredWorkerOptions, shellActivityDeps, type PendingStackRuntime } from './create-worker';

/**
 * A worker that polls `<class queue>@<host>` for task attempts aimed at this host. It runs only the shell activity
 * (the task workflow sends nothing else there), metered and identified as the class's worker of this process.
 */
export function createHostQueueWorker(
  connection: NativeConnection,
  config: CapstanConfig,
  nodeClass: NodeClass,
  ledger: AttemptLedger,
  logger: Logger,
  db: Pool,
  pulumi?: PendingStackRuntime,
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: hostTaskQueue(nodeClassTaskQueue(config.taskQueuePrefix, nodeClass.name), config.fleet.host),
    activities: createShellActivities(
      shellActivityDeps(config, nodeClass, logger, db, pulumi),
      classResourceGate(nodeClass),
    ),
    // Slots of their own, as many as the class gives: a shared budget would let the class queue's idle pollers
    // hold every slot and starve this queue (Temporal reserves a slot before each poll).
    ...meteredWorkerOptions(config, nodeClass, ledger, logger),
  });
}
