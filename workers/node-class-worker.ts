/** Entry point: a worker of one node class, chosen by `--class NAME` or CAPSTAN_NODE_CLASS. */
import { attemptsInFlight, startLostAttemptSweeper } from '../activities/metering';
import { buildVersion } from '../config/build-version';
import { startHealthReports } from './health-reports';
import { createHostQueueWorker } from './host-queue-worker';
import { AttemptLedger } from '../db/stores/attempt-ledger';
import { startArtifactRetentionSweeper } from '../activities/pipeline/artifact-retention';
import { startRetentionSweeper } from '../activities/retention-sweeper';
import { TaskLogStore } from '../db/stores/task-log-store';
import { openArtifactStore } from '../config/artifacts/open-artifact-store';
import { configKeyFrom } from '../db/stores/stack-config-secrets';
import { startOrphanProviderSweeper } from '../activities/pulumi/orphan-providers';
import { pulumiPassphrase, pulumiSettingsFor } from '../toolchain/pulumi-settings';
import type { CapstanConfig } from '../config/env';
import type { Logger } from '../config/logger';
import { loadConfig, requireDatabaseUrl } from '../config/env';
import { createLogger } from '../config/logger';
import { loadNodeClasses } from '../config/node-classes';
import { openDatabase } from '../db/open';
import {
  connectWorker,
  createJobStepWorker,
  createNodeClassWorker,
  METERING_TOUCH_INTERVAL_MS,
  type PendingStackRuntime,
  type StackRuntime,
  workerIdentity,
} from './create-worker';
import { installWorkerRuntime } from './runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const flagIndex = process.argv.indexOf('--class');
  const className = flagIndex >= 0 ? process.argv[flagIndex + 1] : config.worker.nodeClass;
  const classes = loadNodeClasses(config.nodeClassesFile);
  const nodeClass = classes.find((c) => c.name === className);
  if (!nodeClass) {
    const known = classes.map((c) => c.name).join(', ');
    throw new Error(
      `node class ${className ? `"${className}" is not in ${config.nodeClassesFile}` : 'not given'}; pass --class NAME or set CAPSTAN_NODE_CLASS to one of: ${known}`,
    );
  }
  const logger = createLogger(`node-worker:${nodeClass.name}`, config.logLevel);
  installWorkerRuntime(logger, { host: config.worker.metricsHost, port: config.worker.metricsPort });
  const db = await openDatabase(requireDatabaseUrl(config), logger);
  const ledger = new AttemptLedger(db);
  // Four missed refreshes: a worker that is alive but slow to reach the database is not declared dead.
  const stopSweeper = startLostAttemptSweeper(ledger, {
    intervalMs: METERING_TOUCH_INTERVAL_MS,
    lostAfterMs: 4 * METERING_TOUCH_INTERVAL_MS,
    logger,
  });
  // Retention counts in days, so an hourly sweep from every worker is timely enough and cheap.
  const stopRetention = startArtifactRetentionSweeper(openArtifactStore(config.pipeline), {
    retentionDays: config.pipeline.artifactRetentionDays,
    intervalMs: 60 * 60 * 1000,
    logger,
  });
  // Logs go like artifacts; their rows stay (marked removed), so metering rows keep what they refer to.
  const logStore = new TaskLogStore(db);
  const stopLogRetention = startRetentionSweeper({
    what: 'task logs',
    retentionDays: config.taskLogs.retentionDays,
    intervalMs: 60 * 60 * 1000,
    logger,
    removeOlderThan: (cutoff) => logStore.removeOlderThan(cutoff),
  });
  // Only the class named for Pulumi runs stack operations; others need no Pulumi CLI. The CLI is obtained in the
  // background (a first start builds it for minutes): the class's other work starts now, and its stack operations
  // wait for the CLI or fail saying it is still being built.
  const pulumi = nodeClass.name === config.pulumi.nodeClass ? pendingStackRuntime(config, logger) : undefined;
  // Providers a killed worker of this machine left behind would otherwise run for ever.
  let stopOrphanSweeper: (() => void) | undefined;
  let stopped = false;
  pulumi?.ready.then(
    () => {
      // A CLI that arrives after shutdown must not start a timer that keeps this process alive.
      if (!stopped) stopOrphanSweeper = startOrphanProviderSweeper(logger, 30_000);
    },
    (err: unknown) => {
      logger.error({ err }, 'Pulumi CLI unavailable; stack operations on this worker will fail until it is');
    },
  );
  const connection = await connectWorker(config);
  const worker = await createNodeClassWorker(connection, config, nodeClass, ledger, logger, db, pulumi);
  const stepWorker = await createJobStepWorker(connection, config, nodeClass, ledger, logger, db);
  const hostWorker = await createHostQueueWorker(connection, config, nodeClass, ledger, logger, db, pulumi);
  // In the registry before polling: a task aimed at this host is accepted as soon as the worker can take it.
  const reports = await startHealthReports({
    db,
    logger,
    identity: workerIdentity(nodeClass.name),
    nodeClass: nodeClass.name,
    host: config.fleet.host,
    version: buildVersion(),
    intervalMs: config.fleet.reportIntervalSeconds * 1000,
    retentionHours: config.fleet.reportRetentionHours,
    slots: nodeClass.concurrency,
    workspaceDir: config.worker.workspaceDir,
    runningAttempts: attemptsInFlight,
  });
  logger.info(
    {
      taskQueue: worker.options.taskQueue,
      hostQueue: hostWorker.options.taskQueue,
      identity: worker.options.identity,
      concurrency: nodeClass.concurrency,
    },
    'node-class worker polling',
  );
  // All stop together: a signal shuts down every worker of the process (the SDK's runtime handles SIGINT/SIGTERM).
  await Promise.all([worker.run(), stepWorker.run(), hostWorker.run()]);
  stopped = true;
  await reports.stop();
  stopSweeper();
  stopRetention();
  stopLogRetention();
  stopOrphanSweeper?.();
  await connection.close();
  await db.end();
  logger.info('node-class worker stopped');
}

function pendingStackRuntime(config: CapstanConfig, logger: Logger): PendingStackRuntime {
  const startedAt = Date.now();
  const ready = (async (): Promise<StackRuntime> => ({
    settings: await pulumiSettingsFor(config, logger),
    configKey: configKeyFrom(await pulumiPassphrase(config, logger)),
  }))();
  return { ready, startedAt };
}

main().catch((err: unknown) => {
  console.error(`node-class worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
