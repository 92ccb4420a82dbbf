/**
 * The `cluster` profile: the Temporal server on a real PostgreSQL, versitygw as the object store
 * (outputs, artifacts and Pulumi state in buckets), two API processes, an orchestrator and a worker
 * per node class, each Capstan process with a data directory of its own. The driver itself restarts
 * whatever it kills, as a process manager (systemd, Kubernetes) would on real hosts.
 */
import { Client } from 'pg';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTemporalCluster, type TemporalCluster } from '../cli/temporal-cluster';
import { defaultCacheDir } from '../config/paths';
import { resolveS3ServerBinary } from '../toolchain/s3-server-binary';
import { resolveTemporalServerBinaries } from '../toolchain/temporal-server-binary';
import { freePort } from '../test/helpers/ports';
import { nodeProcess, waitForReady, type NodeProcess } from './node-process';
import { startChaosObjectStore } from './object-store';
import { startChaosPostgres } from './postgres';
import type { ChaosStack, Killable } from './stack';
import { CHAOS_NODE_CLASSES } from './node-classes';

/** Starts the cluster profile's stack under `root`. */
export async function startClusterStack(
  root: string,
  id: string,
  adminToken: string,
  say: (line: string) => void,
): Promise<ChaosStack> {
  const logDir = join(root, 'logs');
  mkdirSync(logDir, { recursive: true });
  const cacheDir = defaultCacheDir(process.env);
  const [binaries, s3Binary] = await Promise.all([
    resolveTemporalServerBinaries({ cacheDir }),
    resolveS3ServerBinary(cacheDir),
  ]);
  const pgDir = join(root, 'postgres');
  mkdirSync(pgDir);
  const postgres = await startChaosPostgres(pgDir, await freePort());
  const stoppers: Array<() => Promise<void>> = [() => postgres.stop()];
  try {
    say(`PostgreSQL: ${postgres.url}`);
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE capstan');
    await admin.end();
    const databaseUrl = postgres.url.replace(/\/postgres$/, '/capstan');

    const store = await startChaosObjectStore(
      s3Binary,
      join(root, 's3'),
      await freePort(),
      ['outputs', 'artifacts', 'pulumi-state'],
      join(logDir, 'versitygw.log'),
    );
    stoppers.unshift(() => store.stop());
    say(`object store: versitygw ${store.endpoint}`);

    const url = new URL(postgres.url);
    const ports = {
      frontend: await freePort(),
      frontendHttp: await freePort(),
      frontendMembership: await freePort(),
      history: await freePort(),
      historyMembership: await freePort(),
      matching: await freePort(),
      matchingMembership: await freePort(),
      worker: await freePort(),
      workerMembership: await freePort(),
    };
    const startTemporal = () =>
      startTemporalCluster({
        binaries,
        database: {
          host: url.hostname,
          port: Number(url.port),
          user: 'postgres',
          persistenceDatabase: 'temporal',
          visibilityDatabase: 'temporal_visibility',
        },
        ports,
        dir: join(root, 'temporal'),
        logFile: join(logDir, 'temporal-server.log'),
        namespace: 'default',
        readyTimeoutMs: 120_000,
      });
    let temporal: TemporalCluster | undefined = await startTemporal();
    stoppers.unshift(async () => temporal?.stop());
    say(`Temporal server on PostgreSQL: ${temporal.address}`);

    const classesFile = join(root, 'node-classes.yaml');
    writeFileSync(classesFile, stringify({ nodeClasses: CHAOS_NODE_CLASSES }));
    const marker = { name: 'CHAOS_STACK_ID', value: id };
    const common: NodeJS.ProcessEnv = {
      ...process.env,
      [marker.name]: marker.value,
      CAPSTAN_TEMPORAL_ADDRESS: temporal.address,
      CAPSTAN_TASK_QUEUE_PREFIX: 'chaos',
      CAPSTAN_NODE_CLASSES_FILE: classesFile,
      CAPSTAN_DATABASE_URL: databaseUrl,
      CAPSTAN_ADMIN_TOKEN: adminToken,
      CAPSTAN_LOG_LEVEL: 'warn',
      CAPSTAN_HEARTBEAT_TIMEOUT_SECONDS: '10',
      CAPSTAN_SHUTDOWN_GRACE_SECONDS: '5',
      CAPSTAN_OUTPUT_STORE: 's3',
      CAPSTAN_OUTPUT_S3_BUCKET: 'outputs',
      CAPSTAN_OUTPUT_S3_ENDPOINT: store.endpoint,
      CAPSTAN_OUTPUT_S3_PREFIX: 'capstan',
      CAPSTAN_ARTIFACT_STORE: 's3',
      CAPSTAN_ARTIFACT_S3_BUCKET: 'artifacts',
      CAPSTAN_ARTIFACT_S3_ENDPOINT: store.endpoint,
      CAPSTAN_PULUMI_BACKEND_URL: `s3://pulumi-state?endpoint=${new URL(store.endpoint).host}&disableSSL=true&s3ForcePathStyle=true&region=us-east-1`,
      CAPSTAN_PULUMI_PASSPHRASE: 'chaos-run-passphrase',
      AWS_ACCESS_KEY_ID: store.accessKeyId,
      AWS_SECRET_ACCESS_KEY: store.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
    const killables: Killable[] = [
      {
        name: 'temporal',
        target: 'temporal',
        pid: () => (temporal?.process.exitCode === null ? temporal.process.pid : undefined),
        recover: async () => {
          await waitForExit(temporal?.process);
          temporal = undefined;
          temporal = await startTemporal();
        },
      },
      {
        name: 'postgres',
        target: 'postgres',
        pid: () => postgres.pid(),
        recover: () => postgres.start(120_000),
      },
      {
        name: 'versitygw',
        target: 'object-store',
        pid: () => {
          const child = store.process();
          return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
        },
        recover: async () => {
          await waitForExit(store.process());
          await store.start();
        },
      },
    ];

    // Capstan's processes: each with a data directory of its own, as on separate hosts.
    const processes: Array<{ name: string; proc: NodeProcess; isWorker: boolean }> = [];
    const apiUrls: string[] = [];
    for (const index of [1, 2]) {
      const port = await freePort();
      const apiUrl = `http://127.0.0.1:${port}`;
      const dataDir = join(root, `api-${index}`);
      mkdirSync(dataDir);
      const proc = nodeProcess(
        'api/server.js',
        {
          ...common,
          CAPSTAN_DATA_DIR: dataDir,
          CAPSTAN_API_HOST: '127.0.0.1',
          CAPSTAN_API_PORT: String(port),
          CAPSTAN_API_RATE_LIMIT_PER_SECOND: '1000',
          CAPSTAN_API_RATE_LIMIT_BURST: '1000',
        },
        join(logDir, `api-${index}.log`),
      );
      processes.push({ name: `api ${index}`, proc, isWorker: false });
      apiUrls.push(apiUrl);
      killables.push(processKillable(`api ${index}`, 'api', proc, () => waitForReady(apiUrl, 180_000)));
    }
    const worker = async (name: string, script: string, extra: Record<string, string>) => {
      const dataDir = join(root, name.replace(/ /g, '-'));
      mkdirSync(dataDir);
      const proc = nodeProcess(
        script,
        { ...common, ...extra, CAPSTAN_DATA_DIR: dataDir, CAPSTAN_WORKER_METRICS_PORT: String(await freePort()) },
        join(logDir, `${name.replace(/ /g, '-')}.log`),
      );
      processes.push({ name, proc, isWorker: true });
      killables.push(processKillable(name, name === 'orchestrator' ? 'orchestrator' : 'worker', proc, async () => {}));
    };
    await worker('orchestrator', 'workers/orchestrator-worker.js', {});
    for (const c of CHAOS_NODE_CLASSES)
      await worker(`worker ${c.name}`, 'workers/node-class-worker.js', { CAPSTAN_NODE_CLASS: c.name });
    for (const p of processes) p.proc.start();
    stoppers.unshift(async () => {
      // Workers first (their grace lets a running attempt be handed back), then the APIs.
      await Promise.all(processes.filter((p) => p.isWorker).map((p) => p.proc.stop(30_000)));
      await Promise.all(processes.filter((p) => !p.isWorker).map((p) => p.proc.stop(10_000)));
    });
    for (const apiUrl of apiUrls) await waitForReady(apiUrl, 120_000);
    say(`APIs: ${apiUrls.join(' ')}; workers: orchestrator, ${CHAOS_NODE_CLASSES.map((c) => c.name).join(', ')}`);
    return {
      profile: 'cluster',
      apiUrls,
      adminToken,
      temporalAddress: temporal.address,
      databaseUrl,
      marker,
      storage: `outputs, artifacts and Pulumi state in versitygw (${store.endpoint}); logs in PostgreSQL`,
      killables,
      logDir,
      stop: () => stopAll(stoppers),
    };
  } catch (err) {
    await stopAll(stoppers);
    throw err;
  }
}

async function stopAll(stoppers: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stoppers.splice(0)) await stop().catch(() => undefined);
}

/** A driver-run process as a kill target: the driver starts it again after the kill. */
function processKillable(
  name: string,
  target: Killable['target'],
  proc: NodeProcess,
  ready: () => Promise<void>,
): Killable {
  return {
    name,
    target,
    pid: () => {
      const child = proc.process();
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    recover: async () => {
      await waitForExit(proc.process());
      proc.start();
      await ready();
    },
  };
}

async function waitForExit(child: import('node:child_process').ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((r) => child.once('exit', r));
}
