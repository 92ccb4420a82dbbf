/**
 * A Temporal server on PostgreSQL, started from the binaries toolchain/temporal-server-binary.ts
 * obtains: schemas set up with Temporal's own SQL tool, the default namespace registered, Capstan's
 * search attributes added. What docker-compose's server does, runnable on this machine.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { ensureSearchAttributes } from './search-attributes';
import { stopChild } from './stop-child';
import { waitForFrontend } from './dev-server';
import {
  CLUSTER_DYNAMIC_CONFIG,
  clusterConfigYaml,
  dynamicConfigYaml,
  type ClusterDatabase,
  type ClusterPorts,
} from './temporal-cluster-config';

const run = promisify(execFile);

/** How to start a cluster. */
export interface ClusterOptions {
  binaries: { server: string; sqlTool: string };
  database: ClusterDatabase;
  ports: ClusterPorts;
  /** Directory for the configuration files. */
  dir: string;
  /** File that receives the server's own log. */
  logFile: string;
  namespace: string;
  /** Days closed runs stay listed. */
  retentionDays?: number;
  dynamicConfig?: Record<string, string>;
  readyTimeoutMs?: number;
}

/** A running cluster. */
export interface TemporalCluster {
  address: string;
  process: ChildProcess;
  /** Sends SIGTERM and waits for the server to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/**
 * Creates both databases when missing and brings their schemas to the server's version; safe to run
 * again on databases it set up before (the tool applies only the versions not yet applied).
 */
export async function setupClusterSchemas(sqlTool: string, db: ClusterDatabase): Promise<void> {
  const connection = ['--plugin', 'postgres12', '--ep', db.host, '-p', String(db.port), '-u', db.user];
  if (db.password) connection.push('--pw', db.password);
  const schemas: Array<[string, string]> = [
    [db.persistenceDatabase, 'postgresql/v12/temporal'],
    [db.visibilityDatabase, 'postgresql/v12/visibility'],
  ];
  for (const [database, schemaName] of schemas) {
    const tool = (...args: string[]): Promise<unknown> =>
      run(sqlTool, [...connection, '--db', database, ...args], { timeout: 120_000 }).catch(
        (err: Error & { stderr?: string }) => {
          throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${err.stderr?.trim() || err.message}`);
        },
      );
    await tool('create-database').catch((err: Error) => {
      if (!/already exists/.test(err.message)) throw err;
    });
    // Version 0.0 creates only the tool's bookkeeping table; update-schema then applies every versioned step.
    await tool('setup-schema', '-v', '0.0');
    await tool('update-schema', '--schema-name', schemaName);
  }
}

/** Sets up the schemas, starts the server, and resolves once the namespace exists with Capstan's search attributes. */
export async function startTemporalCluster(options: ClusterOptions): Promise<TemporalCluster> {
  await setupClusterSchemas(options.binaries.sqlTool, options.database);
  const configDir = join(options.dir, 'config');
  await mkdir(configDir, { recursive: true });
  const dynamicConfigFile = join(options.dir, 'dynamic-config.yaml');
  await writeFile(dynamicConfigFile, dynamicConfigYaml(options.dynamicConfig ?? CLUSTER_DYNAMIC_CONFIG));
  await writeFile(
    join(configDir, 'capstan.yaml'),
    clusterConfigYaml(options.database, options.ports, dynamicConfigFile),
  );
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(
    options.binaries.server,
    ['--root', options.dir, '--config', 'config', '--env', 'capstan', '--allow-no-auth', 'start'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  child.once('close', () => log.end());
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${options.ports.frontend}`;
  try {
    const ready = await Promise.race([
      waitForFrontend(address, 'temporal-system', options.readyTimeoutMs ?? 90_000).then(() => true),
      exited.then(() => false),
    ]);
    if (!ready) throw new Error(`the Temporal server exited during start; see ${options.logFile}`);
    await ensureNamespace(address, options.namespace, options.retentionDays ?? 3);
    await untilNamespaceCached(() => ensureSearchAttributes(address, options.namespace));
    await untilNamespaceCached(() => searchAttributesServed(address, options.namespace));
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { address, process: child, stop: () => stopChild(child, 15_000) };
}

/**
 * Runs `work`, again while it fails with "namespace not found": a new namespace is served by
 * DescribeNamespace at once (it reads the database) but by other calls only once every service's
 * namespace cache has refreshed (`system.namespaceCacheRefreshInterval`, 2 s by default).
 */
async function untilNamespaceCached<T>(work: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (err) {
      if (Date.now() > deadline || !/Namespace .* is not found/i.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Resolves once the frontend maps every Capstan attribute in a list query. SQL visibility keeps each
 * namespace's mapping of custom attributes to its fixed columns in the namespace record, which the
 * frontend caches: a start right after the attributes were added fails with "no mapping defined".
 */
async function searchAttributesServed(address: string, namespace: string): Promise<void> {
  const query = Object.keys(REQUIRED_SEARCH_ATTRIBUTES)
    .map((name) => `${name} = 'capstan-probe'`)
    .join(' OR ');
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await connection.workflowService.countWorkflowExecutions({ namespace, query });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

/** Registers the namespace unless it exists, then waits until the frontend serves it. */
async function ensureNamespace(address: string, namespace: string, retentionDays: number): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch {
      // Not there yet: register it below.
    }
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) })
      .catch((err: Error) => {
        if (!/already exists|AlreadyExists/i.test(err.message)) throw err;
      });
  } finally {
    await connection.close();
  }
  await waitForFrontend(address, namespace, 30_000);
}
