/** Entry point: the API server. */
import { configKeyFrom } from '../db/stores/stack-config-secrets';
import { shippedPrograms } from '../infra/programs/registry';
import { pulumiPassphrase } from '../toolchain/pulumi-settings';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, requireDatabaseUrl } from '../config/env';
import { createLogger } from '../config/logger';
import { capstanDataConverter } from '../config/payload-codec';
import { loadNodeClasses } from '../config/node-classes';
import { openDatabase } from '../db/open';
import { createApp } from './app';
import { ensureAdminToken } from '../db/stores/bootstrap-admin';
import { costScheduleId, costScheduleSettings, ensureCostSchedule } from './services/cost-schedules';
import { apiDepsFromConfig } from './services/deps';
import { loadAlertFile } from '../config/alerts';
import { putAlertsInPlace } from './services/alert-schedule';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('api', config.logLevel);
  const nodeClasses = loadNodeClasses(config.nodeClassesFile);
  // A bad rules file stops the start here, naming the file and field, before anything is changed.
  const alertFile = loadAlertFile(config.alerts.file, nodeClasses);
  const db = await openDatabase(requireDatabaseUrl(config), logger);
  const admin = await ensureAdminToken(db, config.auth.adminToken);
  if (admin.warning) logger.warn(admin.warning);
  // On stderr, apart from the JSON log on stdout: it is for the person who started Capstan, and is never shown again.
  if (admin.secret) process.stderr.write(`[capstan] admin token (shown once, store it now): ${admin.secret}\n`);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: capstanDataConverter });
  // Every start creates the schedule or updates it to this configuration: one schedule, under a fixed id, however often the API restarts.
  const costSchedule = await ensureCostSchedule(
    client,
    costScheduleSettings(config.taskQueuePrefix, config.cost, nodeClasses),
  );
  logger.info(
    { scheduleId: costScheduleId(config.taskQueuePrefix), cron: config.cost.cron, outcome: costSchedule },
    'cost analysis schedule in place',
  );
  const { settings: alerts, outcome } = await putAlertsInPlace(
    client,
    config.taskQueuePrefix,
    { path: config.alerts.file, file: alertFile },
    nodeClasses,
    config.cost.nodeClass,
  );
  logger.info(
    { scheduleId: alerts.scheduleId, rules: alerts.rules.length, outcome },
    'alert evaluation schedule in place',
  );
  const stackConfigKey = configKeyFrom(await pulumiPassphrase(config, logger));
  const deps = apiDepsFromConfig(config, {
    client,
    db,
    nodeClasses,
    programs: shippedPrograms,
    stackConfigKey,
    alerts,
  });
  const app = createApp(deps, logger);
  const server = app.listen(config.api.port, config.api.host, () => {
    logger.info({ url: `http://${config.api.host}:${config.api.port}` }, 'API listening');
  });
  const stop = (): void => {
    logger.info('API stopping');
    server.close(() => void Promise.all([connection.close(), db.end()]).then(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`API failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
