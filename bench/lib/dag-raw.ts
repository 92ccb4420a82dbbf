/** The DAG bench's raw-Temporal baseline: its own worker pair (chain and fan-out workflows) and timed runs on it. */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import * as rawActivities from '../raw-activities';
import type { rawChainWorkflow } from '../raw-workflow';
import type { rawFanoutWorkflow } from '../raw-fanout-workflow';
import type { RawQueues } from './workers';
import { since } from './stats';
import { withTimeout } from './timeout';

/** A running raw pair and how to stop it. */
export interface RawBaseline {
  queues: RawQueues;
  /** Throws the error that stopped a raw worker by itself. */
  assertAlive(): void;
  stop(): Promise<void>;
}

/** Starts a workflow worker on bench/raw-workflows-index and a no-op activity worker of the given concurrency. */
export async function startRawBaseline(address: string, prefix: string, concurrency: number): Promise<RawBaseline> {
  const connection = await NativeConnection.connect({ address });
  const queues: RawQueues = { workflowQueue: `${prefix}-raw-workflows`, activityQueue: `${prefix}-raw-activities` };
  const workers: Worker[] = [];
  try {
    workers.push(
      await Worker.create({
        connection,
        namespace: 'default',
        taskQueue: queues.workflowQueue,
        workflowsPath: require.resolve('../raw-workflows-index'),
        shutdownGraceTime: '2s',
      }),
    );
    workers.push(
      await Worker.create({
        connection,
        namespace: 'default',
        taskQueue: queues.activityQueue,
        activities: rawActivities,
        maxConcurrentActivityTaskExecutions: concurrency,
        shutdownGraceTime: '2s',
      }),
    );
  } catch (err) {
    await connection.close();
    throw err;
  }
  let failure: unknown;
  const runs = workers.map((w) =>
    w.run().catch((err: unknown) => {
      failure ??= err;
    }),
  );
  return {
    queues,
    assertAlive: () => {
      if (failure !== undefined) throw failure;
    },
    stop: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(runs);
      await connection.close();
    },
  };
}

/** Runs rawChainWorkflow with `steps` sequential no-op activities; returns its wall ms (start RPC to result). */
export async function timeRawChain(client: Client, raw: RawQueues, steps: number, deadlineMs: number): Promise<number> {
  const workflowId = `raw-chain-${randomUUID()}`;
  const t0 = performance.now();
  await client.workflow.start<typeof rawChainWorkflow>('rawChainWorkflow', {
    workflowId,
    taskQueue: raw.workflowQueue,
    args: [raw.activityQueue, steps],
  });
  await withTimeout(client.workflow.getHandle(workflowId).result(), deadlineMs, `raw chain ${workflowId}`);
  return since(t0);
}

/** Runs rawFanoutWorkflow (a root, then `width` activities at once: no-ops, or `command` run by each); returns its wall ms. */
export async function timeRawFanout(
  client: Client,
  raw: RawQueues,
  width: number,
  deadlineMs: number,
  command?: string,
): Promise<number> {
  const workflowId = `raw-fanout-${randomUUID()}`;
  const t0 = performance.now();
  await client.workflow.start<typeof rawFanoutWorkflow>('rawFanoutWorkflow', {
    workflowId,
    taskQueue: raw.workflowQueue,
    args: command === undefined ? [raw.activityQueue, width] : [raw.activityQueue, width, command],
  });
  await withTimeout(client.workflow.getHandle(workflowId).result(), deadlineMs, `raw fan-out ${workflowId}`);
  return since(t0);
}
