/** Starts and stops the bench's own Temporal dev servers, each in a throwaway directory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../cli/dev-server';
import { loadConfig } from '../../config/env';
import { freePort } from '../../test/helpers/ports';
import { startPostgresServer, type PostgresServer } from '../../test/helpers/postgres-server';
import { startTestCluster, testClusterBinaries, type TestTemporal } from '../../test/helpers/test-temporal';
import { pickPort } from './ports';

/** A dev server started for the bench. */
export interface BenchServer {
  label: string;
  address: string;
  logFile: string;
  /** The server's process id, for reading its memory. */
  pid?: number;
  /** Stops the server and deletes its database and log. */
  stop(): Promise<void>;
}

/** Servers not yet stopped, so an interrupted run can still stop them. */
const live = new Set<DevServer>();

/**
 * Starts a headless dev server on a free port in the bench range with the given dynamic config (and
 * SQLite pragmas, else Capstan's); with CAPSTAN_BENCH_TEMPORAL=cluster, a Temporal server on a
 * throwaway PostgreSQL server with that dynamic config instead (the tests' cluster profile).
 */
export async function startBenchServer(
  binary: string,
  label: string,
  dynamicConfig: Record<string, string>,
  portFrom: number,
  sqlitePragmas?: Record<string, string>,
): Promise<BenchServer> {
  dynamicConfig = { ...dynamicConfig, ...extraDynamicConfig() };
  if (benchTemporal() === 'cluster') return startBenchCluster(`${label} (cluster)`, dynamicConfig);
  const dir = await mkdtemp(join(tmpdir(), 'capstan-bench-'));
  const logFile = join(dir, 'temporal.log');
  let server: DevServer;
  try {
    server = await startDevServer({
      binary,
      dbFile: join(dir, 'temporal.db'),
      logFile,
      ip: '127.0.0.1',
      port: await pickPort(portFrom),
      namespace: 'default',
      dynamicConfig,
      ...(sqlitePragmas ? { sqlitePragmas } : {}),
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  live.add(server);
  return {
    label,
    address: server.address,
    logFile,
    pid: server.process.pid,
    stop: async () => {
      await server.stop();
      live.delete(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * BENCH_DYNAMIC_CONFIG (`key=value,key=value`) added to every bench server's dynamic config, to measure a setting
 * against Capstan's without editing code.
 */
function extraDynamicConfig(): Record<string, string> {
  const pairs = (process.env.BENCH_DYNAMIC_CONFIG ?? '').split(',').filter((p) => p.trim() !== '');
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`BENCH_DYNAMIC_CONFIG: "${pair}" is not key=value`);
      return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    }),
  );
}

/** Kills every server still running; for signal handlers, where there is no time to wait. */
export function killLiveServers(): void {
  for (const server of live) server.process.kill('SIGTERM');
  for (const { cluster, postgres } of liveClusters) {
    cluster.process.kill('SIGTERM');
    postgres.stop();
  }
}

/** The Temporal the benches run on: CAPSTAN_BENCH_TEMPORAL, `dev` (the default) or `cluster`. */
export function benchTemporal(): 'dev' | 'cluster' {
  const value = process.env.CAPSTAN_BENCH_TEMPORAL ?? 'dev';
  if (value !== 'dev' && value !== 'cluster')
    throw new Error(`CAPSTAN_BENCH_TEMPORAL=${value}: expected "dev" (the default) or "cluster"`);
  return value;
}

/** A Temporal server 1.29.1 on a PostgreSQL server of its own, both removed by `stop`. */
async function startBenchCluster(label: string, dynamicConfig: Record<string, string>): Promise<BenchServer> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-bench-cluster-'));
  const binaries = await testClusterBinaries(loadConfig().cacheDir);
  const postgres = startPostgresServer(await freePort());
  let cluster: TestTemporal;
  try {
    cluster = await startTestCluster(binaries, postgres.url, dir, 'temporal', dynamicConfig);
  } catch (err) {
    postgres.remove();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const live = { cluster, postgres };
  const stop = async (): Promise<void> => {
    await cluster.stop();
    liveClusters.delete(live);
    postgres.remove();
    await rm(dir, { recursive: true, force: true });
  };
  liveClusters.add(live);
  return {
    label,
    address: cluster.address,
    logFile: join(dir, 'temporal-cluster.log'),
    pid: cluster.process.pid,
    stop,
  };
}

/** Clusters not yet stopped, so an interrupted run can still stop them. */
const liveClusters = new Set<{ cluster: TestTemporal; postgres: PostgresServer }>();

/** How the benches' tables name the Temporal process. */
export function temporalProcessName(): string {
  return benchTemporal() === 'cluster' ? 'Temporal server (PostgreSQL)' : 'Temporal dev server';
}
