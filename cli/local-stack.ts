/** Brings up the local process group of `npm start`: the Temporal dev server (unless external), workers and the API. */
import { join } from 'node:path';
import type { CapstanConfig } from '../config/env';
import type { NodeClass } from '../config/node-classes';
import { REPO_ROOT } from '../config/paths';
import { redactUrl } from '../db/open';
import { devServerDynamicConfig, waitForFrontend } from './dev-server';
import { superviseDevServer, type SupervisedDevServer } from './supervised-dev-server';
import { Supervisor } from './supervisor';
import { isExecutable } from '../toolchain/binary-chain';
import { cachedPulumiPath, resolvePulumiBinary } from '../toolchain/pulumi-binary';
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

/** Starts everything `npm start` runs and resolves once the API answers /readyz; the Pulumi CLI may still be coming. */
export async function startLocalStack(
  config: CapstanConfig,
  nodeClasses: NodeClass[],
  say: (line: string) => void,
): Promise<LocalStack> {
  let devServer: SupervisedDevServer | undefined;
  let uiUrl = config.temporal.uiUrl;
  if (config.temporal.startDevServer) {
    const binary = await resolveTemporalBinary({ configuredPath: config.temporal.binary, cacheDir: config.cacheDir });
    say(`Temporal CLI: ${temporalVersion(binary.path)} (${binary.source}: ${binary.path})`);
    const [ip, port] = config.temporal.address.split(':') as [string, string];
    devServer = await superviseDevServer(
      {
        binary: binary.path,
        dbFile: join(config.dataDir, 'temporal', 'dev-server.db'),
        logFile: join(config.logs.dir, 'temporal-dev-server.log'),
        ip,
        port: Number(port),
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        dynamicConfig: devServerDynamicConfig(config.fairness !== undefined),
      },
      say,
    );
    uiUrl ??= devServer.uiUrl;
  } else {
    await waitForFrontend(config.temporal.address, config.temporal.namespace, 30_000);
  }

  const runsStacks = nodeClasses.some((c) => c.name === config.pulumi.nodeClass);
  const pulumiEnv = runsStacks ? obtainPulumiInBackground(config, say) : {};
  const supervisor = new Supervisor({ report: say, logDir: config.logs.dir, verbose: config.logs.verbose });
  const shown = config.logs.verbose ? 'also shown here' : 'npm start -- --verbose shows them here too';
  say(`logs:            ${config.logs.dir}/<process>.log (${shown})`);
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    // No database configured: the embedded one, under the data directory. API and workers wait for it as they start.
    databaseUrl = `postgres://postgres@127.0.0.1:${config.database.embeddedPort}/postgres`;
    supervisor.start({
      name: 'embedded-db',
      label: 'embedded-db',
      script: join(REPO_ROOT, 'dist', 'db', 'embedded-server.js'),
      env: { ...process.env, CAPSTAN_DATA_DIR: config.dataDir },
    });
    say(`database:        embedded PostgreSQL (PGlite) in ${join(config.dataDir, 'postgres')}, ${databaseUrl}`);
  } else {
    say(`database:        ${redactUrl(databaseUrl)}`);
  }
  const baseEnv = {
    ...process.env,
    CAPSTAN_DATA_DIR: config.dataDir,
    CAPSTAN_DATABASE_URL: databaseUrl,
    // One API process: its own memory holds the buckets, sparing the embedded database a write per request.
    CAPSTAN_API_RATE_LIMIT_STORE: process.env.CAPSTAN_API_RATE_LIMIT_STORE ?? 'memory',
    // Nor a token lookup per request: a revocation through this API applies at once, a direct database write in 2 s.
    CAPSTAN_API_TOKEN_CACHE_MS: process.env.CAPSTAN_API_TOKEN_CACHE_MS ?? '2000',
    ...(uiUrl ? { CAPSTAN_TEMPORAL_UI_URL: uiUrl } : {}),
    ...pulumiEnv,
  };
  const metricsBase = config.worker.metricsPort ?? DEFAULT_WORKER_METRICS_BASE_PORT;
  const workerMetricsPorts: Record<string, number> = { orchestrator: metricsBase };
  const dist = join(REPO_ROOT, 'dist');
  supervisor.start({
    name: 'orchestrator-worker',
    label: 'orchestrator',
    script: join(dist, 'workers', 'orchestrator-worker.js'),
    env: { ...baseEnv, CAPSTAN_WORKER_METRICS_PORT: String(metricsBase) },
  });
  nodeClasses.forEach((nodeClass, index) => {
    workerMetricsPorts[nodeClass.name] = metricsBase + 1 + index;
    supervisor.start({
      name: `node-worker:${nodeClass.name}`,
      label: `worker ${nodeClass.name}`,
      script: join(dist, 'workers', 'node-class-worker.js'),
      env: {
        ...baseEnv,
        CAPSTAN_NODE_CLASS: nodeClass.name,
        CAPSTAN_WORKER_METRICS_PORT: String(metricsBase + 1 + index),
      },
    });
  });
  supervisor.start({ name: 'api', label: 'api', script: join(dist, 'api', 'server.js'), env: baseEnv });

  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  const stop = async (): Promise<void> => {
    devServer?.endSupervision();
    // Past the workers' own grace, an activity still needs its SIGTERM→SIGKILL window (5 s) and pipe drain (5 s)
    // to kill its task's process group; killing the worker before that would orphan the group.
    await supervisor.stopAll((config.worker.shutdownGraceSeconds + 15) * 1000, ['embedded-db']);
    await devServer?.stop();
  };
  try {
    await waitForHttp(`${apiUrl}/readyz`, 60_000, supervisor.logFileOf('api'));
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl, uiUrl, workerMetricsPorts, stop };
}

async function waitForHttp(url: string, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Capstan's own answer, not just any 200: another server on that port (the port was taken) must not pass.
    const ok = await fetch(url).then(
      async (r) =>
        r.ok && ((await r.json().catch(() => undefined)) as { status?: unknown } | undefined)?.status === 'ready',
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (see ${logFile})`);
}

/**
 * The Pulumi CLI for the Pulumi class's stack operations, as environment for the workers. When it is at
 * hand (configured, on PATH, cached) the workers are told its path; otherwise it is obtained here in the
 * background, with progress in the terminal, while everything else starts: the workers wait for this
 * build (they share its claim) rather than start their own.
 */
function obtainPulumiInBackground(config: CapstanConfig, say: (line: string) => void): Record<string, string> {
  const cached = cachedPulumiPath(config.cacheDir);
  if (config.pulumi.binary === undefined && isExecutable(cached)) {
    say(`Pulumi CLI:      ${cached} (cache), for stack operations on class ${config.pulumi.nodeClass}`);
    return { CAPSTAN_PULUMI_BIN: cached };
  }
  const started = Date.now();
  if (config.pulumi.binary === undefined) {
    say(
      'Pulumi CLI:      not in the cache; obtaining it in the background ' +
        '(stack operations wait for it, all else starts now)',
    );
  }
  const resolving = resolvePulumiBinary({ configuredPath: config.pulumi.binary, cacheDir: config.cacheDir });
  void resolving.then(
    (pulumi) => {
      const obtained = pulumi.source === 'go-build' || pulumi.source === 'pulumi-install';
      const after = obtained ? ` after ${Math.round((Date.now() - started) / 1000)}s` : '';
      const where = `${pulumi.path} (${pulumi.source})`;
      say(`Pulumi CLI:      ready${after}: ${where}; stack operations on class ${config.pulumi.nodeClass} can run`);
    },
    (err: unknown) => {
      say(`Pulumi CLI:      unavailable, so stack operations will fail until it is: ${(err as Error).message}`);
    },
  );
  return {};
}
