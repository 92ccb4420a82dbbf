/** Builds Capstan's two kinds of worker: the orchestrator (workflows) and the node-class worker (activities). */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { hostname } from 'node:os';
import type { Pool } from 'pg';
import { createShellActivities, resourceGateFor, type ResourceGate, type ShellActivityDeps } from '../activities/shell';
import type { StackOutputReader } from '../activities/shell/expand-references';
import { createForgeActivities } from '../activities/forge';
import { createScheduleActivities } from '../activities/forge/scheduled-head';
import { meteringInterceptors } from '../activities/metering';
import type { AttemptLedger } from '../db/stores/attempt-ledger';
import { TaskLogStore } from '../db/stores/task-log-store';
import type { TaskLogDeps } from '../activities/logs';
import { createDeploymentActivities, createPipelineActivities } from '../activities/pipeline';
import { openArtifactStore } from '../config/artifacts/open-artifact-store';
import { pulumiSettingsFor, type PulumiSettings } from '../toolchain/pulumi-settings';
import { deferredStackActivities } from '../activities/pulumi/deferred-stack-activities';
import { readStackOutput } from '../activities/pulumi/stack-activities';
import { shippedPrograms } from '../infra/programs/registry';
import { createCostActivities } from '../activities/cost';
import { createAlertActivities } from '../activities/alerts';
import { costActivityDeps } from '../activities/cost/from-config';
import type { CapstanConfig } from '../config/env';
import type { Logger } from '../config/logger';
import type { NodeClass } from '../config/node-classes';
import { nodeClassTaskQueue } from '../workflows/contracts/node-class';
import { capstanDataConverter } from '../config/payload-codec';
import { workerIdentity } from './create-orchestrator';

export { connectWorker, createOrchestratorWorker, workerIdentity } from './create-orchestrator';

/** How often a running attempt's metering row is refreshed; a row unrefreshed for several of these is closed as lost. */
export const METERING_TOUCH_INTERVAL_MS = 15_000;

/** Where this worker's task attempts and pipeline steps write their logs: the database the API reads them from. */
export function taskLogDeps(config: CapstanConfig, db: Pool, logger: Logger): TaskLogDeps {
  return {
    store: new TaskLogStore(db),
    limitBytes: config.taskLogs.maxBytes,
    redactedVars: config.taskLogs.redactedVars,
    logger,
  };
}

/** What a worker of the Pulumi class runs stack operations with. */
export interface StackRuntime {
  settings: PulumiSettings;
  /** Opens the secret config fields the API sealed. */
  configKey: Buffer;
}

/** The Pulumi runtime a worker of the Pulumi class is obtaining in the background, and since when. */
export interface PendingStackRuntime {
  ready: Promise<StackRuntime>;
  startedAt: number;
}

/**
 * Reads stack outputs for commands that reference them: with the Pulumi class's own runtime when given,
 * otherwise obtaining Pulumi settings on first use.
 */
function stackOutputReader(
  config: CapstanConfig,
  logger: Logger,
  pulumi?: () => Promise<PulumiSettings>,
): StackOutputReader {
  const obtain = pulumi ?? (() => pulumiSettingsFor(config, logger));
  let settings: Promise<PulumiSettings> | undefined;
  return async (project, stack, key) => {
    // A failure (no CLI yet) is not remembered, so a later command tries again.
    settings ??= obtain().catch((err: unknown) => {
      settings = undefined;
      throw err;
    });
    return readStackOutput(await settings, { project, stack }, key);
  };
}

/** The task queue only this worker process polls: pipeline steps after a job's first go here, to its workspace. */
function workerOwnQueue(prefix: string, nodeClass: string): string {
  return `${nodeClassTaskQueue(prefix, nodeClass)}-worker-${hostname().replace(/[^A-Za-z0-9-]/g, '-')}-${process.pid}`;
}

/** The pipeline activities of this worker process. */
function pipelineActivities(
  config: CapstanConfig,
  nodeClass: NodeClass,
  stackOutputs: StackOutputReader,
  logs: TaskLogDeps | undefined,
  db: Pool,
) {
  const artifactStore = openArtifactStore(config.pipeline);
  return createPipelineActivities({
    workspaceRoot: config.worker.workspaceDir,
    logs,
    artifactStore,
    maxArtifactBytes: config.pipeline.maxArtifactBytes,
    workerIdentity: workerIdentity(nodeClass.name),
    workerQueue: workerOwnQueue(config.taskQueuePrefix, nodeClass.name),
    killGraceMs: 5000,
    // Large step outputs go to the same store as DAG task outputs, and travel by reference.
    outputStore: {
      dir: config.worker.outputStoreDir,
      s3: config.worker.outputS3,
      inlineBytes: config.worker.inlineOutputBytes,
      maxFileBytes: config.worker.maxOutputFileBytes,
    },
    stackOutputs,
    // Cache archives share the artifact store; their entries are rows, so lookups and eviction never list it.
    caches: {
      db,
      store: artifactStore,
      maxEntryBytes: config.pipeline.cacheMaxBytes,
      maxRepositoryBytes: config.pipeline.cacheRepositoryMaxBytes,
    },
  });
}

/** The worker on this process's own queue: the steps of the pipeline jobs whose workspace it holds. */
export function createJobStepWorker(
  connection: NativeConnection,
  config: CapstanConfig,
  nodeClass: NodeClass,
  ledger: AttemptLedger,
  logger: Logger,
  db: Pool,
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: workerOwnQueue(config.taskQueuePrefix, nodeClass.name),
    activities: pipelineActivities(
      config,
      nodeClass,
      stackOutputReader(config, logger),
      taskLogDeps(config, db, logger),
      db,
    ),
    // The steps of the jobs this worker claimed; a job's steps run one at a time.
    ...meteredWorkerOptions(config, nodeClass, ledger, logger),
  });
}

/**
 * What every worker of a node-class process shares: metering of each activity attempt in `ledger`, the class's
 * identity of this process, the payload codec and the class's concurrency.
 */
export function meteredWorkerOptions(
  config: CapstanConfig,
  nodeClass: NodeClass,
  ledger: AttemptLedger,
  logger: Logger,
): Pick<
  WorkerOptions,
  'interceptors' | 'identity' | 'dataConverter' | 'maxConcurrentActivityTaskExecutions' | 'shutdownGraceTime'
> {
  const identity = workerIdentity(nodeClass.name);
  return {
    interceptors: {
      activity: [
        meteringInterceptors({ ledger, worker: identity, logger, touchIntervalMs: METERING_TOUCH_INTERVAL_MS }),
      ],
    },
    identity,
    // Activity inputs and results past the codec's threshold travel gzipped, as the orchestrator sends them.
    dataConverter: capstanDataConverter,
    maxConcurrentActivityTaskExecutions: nodeClass.concurrency,
    shutdownGraceTime: `${config.worker.shutdownGraceSeconds}s`,
  };
}

/** What this process's shell activities run commands with; with `pulumi`, stack outputs are read with its own runtime. */
export function shellActivityDeps(
  config: CapstanConfig,
  nodeClass: NodeClass,
  logger: Logger,
  db: Pool,
  pulumi?: PendingStackRuntime,
): ShellActivityDeps & { stackOutputs: StackOutputReader } {
  const ownSettings = pulumi && ((): Promise<PulumiSettings> => pulumi.ready.then((runtime) => runtime.settings));
  return {
    workspaceRoot: config.worker.workspaceDir,
    workerIdentity: workerIdentity(nodeClass.name),
    outputTailBytes: config.worker.outputTailBytes,
    keepWorkspaces: config.worker.keepWorkspaces,
    maxHeartbeatIntervalMs: 10_000,
    killGraceMs: 5000,
    outputStoreDir: config.worker.outputStoreDir,
    outputS3: config.worker.outputS3,
    maxOutputFileBytes: config.worker.maxOutputFileBytes,
    inlineOutputBytes: config.worker.inlineOutputBytes,
    stackOutputs: stackOutputReader(config, logger, ownSettings),
    logs: taskLogDeps(config, db, logger),
  };
}

const resourceGates = new Map<string, ResourceGate>();

/**
 * The one gate of a node class in this process: the class queue's worker and the host queue's worker run on the same
 * machine, so they hand out the same resources and, together, no more attempts at once than the class's concurrency.
 */
export function classResourceGate(nodeClass: NodeClass): ResourceGate {
  let gate = resourceGates.get(nodeClass.name);
  if (!gate) {
    gate = resourceGateFor(nodeClass.resources, nodeClass.concurrency);
    resourceGates.set(nodeClass.name, gate);
  }
  return gate;
}

/**
 * A worker that runs task attempts of one node class, as many at once as the class allows, metering each in `ledger`;
 * `db` keeps deploy history; with `pulumi` it also runs stack operations, once that runtime is ready.
 */
export function createNodeClassWorker(
  connection: NativeConnection,
  config: CapstanConfig,
  nodeClass: NodeClass,
  ledger: AttemptLedger,
  logger: Logger,
  db: Pool,
  pulumi?: PendingStackRuntime,
): Promise<Worker> {
  const deps = shellActivityDeps(config, nodeClass, logger, db, pulumi);
  const stackOutputs = deps.stackOutputs;
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: nodeClassTaskQueue(config.taskQueuePrefix, nodeClass.name),
    activities: {
      ...createShellActivities(deps, classResourceGate(nodeClass)),
      ...pipelineActivities(config, nodeClass, stackOutputs, deps.logs, db),
      ...createDeploymentActivities(db),
      ...createForgeActivities({ db }),
      ...createScheduleActivities({ db }),
      ...(pulumi === undefined
        ? {}
        : deferredStackActivities(
            {
              ready: pulumi.ready.then((runtime) => ({ ...runtime, db, programs: shippedPrograms })),
              startedAt: pulumi.startedAt,
            },
            db,
          )),
      ...createCostActivities(costActivityDeps(config, db)),
      ...createAlertActivities({
        db,
        taskQueuePrefix: config.taskQueuePrefix,
        pollerLivenessSeconds: config.pollerLivenessSeconds,
        webhookUrl: config.alerts.webhookUrl,
      }),
    },
    ...meteredWorkerOptions(config, nodeClass, ledger, logger),
  });
}
