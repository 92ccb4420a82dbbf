/**
 * The Temporal the suite runs against: the dev server `npm start` runs (the default profile), or a
 * Temporal cluster on the suite's PostgreSQL server with SQL visibility (`CAPSTAN_TEST_TEMPORAL=cluster`),
 * the configuration docker-compose describes.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startDevServer } from '../../cli/dev-server';
import { startTemporalCluster } from '../../cli/temporal-cluster';
import { resolveTemporalServerBinaries, type TemporalServerBinaries } from '../../toolchain/temporal-server-binary';
import { freePort } from './ports';

/** Which Temporal the suite runs on. */
export type TemporalProfile = 'dev' | 'cluster';

/** A running Temporal for the suite. */
export interface TestTemporal {
  address: string;
  /** The server's process. */
  process: ChildProcess;
  /** For the log line: what runs and where its binary came from. */
  description: string;
  stop(): Promise<void>;
}

/** The profiles CAPSTAN_TEST_TEMPORAL names, comma-separated, in order; both (`dev,cluster`) when unset. */
export function temporalProfiles(value = process.env.CAPSTAN_TEST_TEMPORAL): TemporalProfile[] {
  if (value === undefined || value.trim() === '') return ['dev', 'cluster'];
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => name !== 'dev' && name !== 'cluster');
  if (unknown.length > 0 || names.length === 0)
    throw new Error(`CAPSTAN_TEST_TEMPORAL=${value}: expected "dev", "cluster" or "dev,cluster" (the default)`);
  return [...new Set(names)] as TemporalProfile[];
}

/**
 * Starts the dev server from `cliBinary` with its SQLite file in `scratch`, on loopback, or on every interface when
 * `reachAt` names the address other hosts use (the dev server's services call each other at 127.0.0.1, so it cannot
 * bind one other address alone).
 */
export async function startTestDevServer(cliBinary: string, scratch: string, reachAt?: string): Promise<TestTemporal> {
  const ip = reachAt ? '0.0.0.0' : '127.0.0.1';
  const server = await startDevServer({
    binary: cliBinary,
    dbFile: join(scratch, 'temporal.db'),
    logFile: join(scratch, 'temporal.log'),
    ip,
    port: await freePort(),
    namespace: 'default',
  });
  return {
    address: reachAt ? server.address.replace(ip, reachAt) : server.address,
    process: server.process,
    description: `Temporal dev server (${cliBinary})`,
    stop: server.stop,
  };
}

/** The server and SQL tool binaries, from CAPSTAN_TEMPORAL_SERVER_BIN / CAPSTAN_TEMPORAL_SQL_TOOL_BIN or built into the cache. */
export function testClusterBinaries(cacheDir: string): Promise<TemporalServerBinaries> {
  return resolveTemporalServerBinaries({
    cacheDir,
    configured: {
      server: process.env.CAPSTAN_TEMPORAL_SERVER_BIN,
      sqlTool: process.env.CAPSTAN_TEMPORAL_SQL_TOOL_BIN,
    },
  });
}

/** Starts a Temporal server on the PostgreSQL server at `postgresUrl` (its own two databases there, `<prefix>` and `<prefix>_visibility`). */
export async function startTestCluster(
  binaries: TemporalServerBinaries,
  postgresUrl: string,
  scratch: string,
  databasePrefix = 'temporal',
  dynamicConfig?: Record<string, string>,
): Promise<TestTemporal> {
  const url = new URL(postgresUrl);
  const cluster = await startTemporalCluster({
    binaries,
    database: {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: url.password ? decodeURIComponent(url.password) : undefined,
      persistenceDatabase: databasePrefix,
      visibilityDatabase: `${databasePrefix}_visibility`,
    },
    ports: {
      frontend: await freePort(),
      frontendHttp: await freePort(),
      frontendMembership: await freePort(),
      history: await freePort(),
      historyMembership: await freePort(),
      matching: await freePort(),
      matchingMembership: await freePort(),
      worker: await freePort(),
      workerMembership: await freePort(),
    },
    dir: join(scratch, 'temporal-cluster'),
    logFile: join(scratch, 'temporal-cluster.log'),
    namespace: 'default',
    dynamicConfig,
  });
  return {
    address: cluster.address,
    process: cluster.process,
    description: `Temporal server on PostgreSQL with SQL visibility (${binaries.server})`,
    stop: cluster.stop,
  };
}
