/** Brings up a whole Capstan stack: the Temporal dev server (unless external), workers and the API. */
import { join } from 'node:path';
import type { CapstanConfig } from '../config/env';
import type { NodeClass } from '../config/node-classes';
import { REPO_ROOT } from '../config/paths';
import { redactUrl } from '../db/open';
import { startDevServer, waitForFrontend, type DevServer } from './dev-server';
import { Supervisor } from './supervisor';
import { resolvePulumiBinary } from '../toolchain/pulumi-binary';
import { resolveTemporalBinary, temporalVersion } from '../toolchain/temporal-binary';

/** Default first port for the workers' Prometheus endpoints; each worker takes the next one. */
const DEFAULT_WORKER_METRICS_BASE_PORT = 9464;

/** The local process group `npm start` runs (not a Pulumi stack). */
export interface LocalStack {
  apiUrl: string;
  uiUrl?: string;
  workerMetricsPorts: Record<string, number>;
  stop(): Promise<void>;
}

/** Starts everything `npm start` runs and resolves once the API answers /readyz. */
export async function startLocalStack(config: CapstanConfig, nodeClasses: NodeClass[], say: (line: string) => void): Promise<LocalStack> {
  let devServer: DevServer | undefined;
  let uiUrl = config.temporal.uiUrl;
  if (config.temporal.startDevServer) {
    const binary = await resolveTemporalBinary({ configuredPath: config.temporal.binary, cacheDir: config.cacheDir });
    say(`Temporal CLI: ${temporalVersion(binary.path)} (${binary.source}: ${binary.path})`);
    const [ip, port] = config.temporal.address.split(':') as [string, string];
    devServer = await startDevServer({
      binary: binary.path,
      dbFile: join(config.dataDir, 'temporal', 'dev-server.db'),
      logFile: join(config.dataDir, 'logs', 'temporal-dev-server.log'),
      ip,
      port: Number(port),
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
    });
    uiUrl ??= devServer.uiUrl;
  } else {
    await waitForFrontend(config.temporal.address, config.temporal.namespace, 30_000);
  }

  const pulumiEnv = nodeClasses.some((c) => c.name === config.pulumi.nodeClass) ? await pulumiBinaryEnv(config, say) : {};
  const supervisor = new Supervisor(say);
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    // No database configured: the embedded one, under the data directory. API and workers wait for it as they start.
    databaseUrl = `postgres://postgres@127.0.0.1:${config.database.embeddedPort}/postgres`;
    supervisor.start({ name: 'embedded-db', script: join(REPO_ROOT, 'dist', 'db', 'embedded-server.js'), env: { ...process.env, CAPSTAN_DATA_DIR: config.dataDir } });
    say(`database:        embedded PostgreSQL (PGlite) in ${join(config.dataDir, 'postgres')}, ${databaseUrl}`);
  } else {
    say(`database:        ${redactUrl(databaseUrl)}`);
  }
  const baseEnv = {
    ...process.env, CAPSTAN_DATA_DIR: config.dataDir, CAPSTAN_DATABASE_URL: databaseUrl, ...(uiUrl ? { CAPSTAN_TEMPORAL_UI_URL: uiUrl } : {}), ...pulumiEnv,
  };
  const metricsBase = config.worker.metricsPort ?? DEFAULT_WORKER_METRICS_BASE_PORT;
  const workerMetricsPorts: Record<string, number> = { orchestrator: metricsBase };
  const dist = join(REPO_ROOT, 'dist');
  supervisor.start({
    name: 'orchestrator-worker',
    script: join(dist, 'workers', 'orchestrator-worker.js'),
    env: { ...baseEnv, CAPSTAN_WORKER_METRICS_PORT: String(metricsBase) },
  });
  nodeClasses.forEach((nodeClass, index) => {
    workerMetricsPorts[nodeClass.name] = metricsBase + 1 + index;
    supervisor.start({
      name: `node-worker:${nodeClass.name}`,
      script: join(dist, 'workers', 'node-class-worker.js'),
      env: { ...baseEnv, CAPSTAN_NODE_CLASS: nodeClass.name, CAPSTAN_WORKER_METRICS_PORT: String(metricsBase + 1 + index) },
    });
  });
  supervisor.start({ name: 'api', script: join(dist, 'api', 'server.js'), env: baseEnv });

  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  const stop = async (): Promise<void> => {
    // Past the workers' own grace, an activity still needs its SIGTERM→SIGKILL window (5 s) and pipe drain (5 s)
    // to kill its task's process group; killing the worker before that would orphan the group.
    await supervisor.stopAll((config.worker.shutdownGraceSeconds + 15) * 1000, ['embedded-db']);
    await devServer?.stop();
  };
  try {
    await waitForHttp(`${apiUrl}/readyz`, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl, uiUrl, workerMetricsPorts, stop };
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (see the API log above)`);
}

/**
 * Obtains the Pulumi CLI here, with progress, before the workers start, so the Pulumi class's
 * worker does not build it silently; without it the stack still starts and stack operations say why they cannot run.
 */
async function pulumiBinaryEnv(config: CapstanConfig, say: (line: string) => void): Promise<Record<string, string>> {
  try {
    const pulumi = await resolvePulumiBinary({ configuredPath: config.pulumi.binary, cacheDir: config.cacheDir });
    say(`Pulumi CLI:      ${pulumi.path} (${pulumi.source}), for stack operations on class ${config.pulumi.nodeClass}`);
    return { CAPSTAN_PULUMI_BIN: pulumi.path };
  } catch (err) {
    say(`Pulumi CLI:      unavailable, so stack operations will fail until it is: ${(err as Error).message}`);
    return {};
  }
}
