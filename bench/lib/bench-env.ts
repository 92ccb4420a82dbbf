/** One bench environment: a fresh dev server, a client, and in-process Capstan (and optionally raw) workers on it. */
import { configKeyFrom } from '../../db/stores/stack-config-secrets';
import { shippedPrograms } from '../../infra/programs/registry';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { capstanDataConverter } from '../../config/payload-codec';
import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../api/auth/principal';
import { createToken } from '../../db/stores/token-store';
import { apiDepsFromConfig, type ApiDeps } from '../../api/services/deps';
import type { CapstanConfig } from '../../config/env';
import type { NodeClass } from '../../config/node-classes';
import { writeClassesFile } from './classes-file';
import { startBenchServer } from './dev-server';
import { pickPort } from './ports';
import { startEmbeddedDatabase } from '../../db/embedded';
import { startEmbeddedProcess } from './embedded-process';
import { startNodeClassProcess, startOrchestratorProcess, type WorkerProcess } from './worker-process';
import { openDatabase } from '../../db/open';
import { createLogger } from '../../config/logger';
import { benchConfig, startCapstanWorkers, startRawWorkers, type RawQueues, type RunningWorkers } from './workers';

/** What a bench phase gets to work with. */
export interface BenchEnv {
  label: string;
  address: string;
  client: Client;
  /** The same dependencies the API server builds, so phases can call the API's own services. */
  deps: ApiDeps;
  /** An admin token for calls over HTTP, and its principal for calls to the services (see actAs). */
  apiToken: string;
  principal: Principal;
  /** Present when the raw baseline workers were started. */
  raw?: RawQueues;
  /** The embedded database's process, when it runs in one of its own (databaseProcess). */
  databasePid?: number;
  /** The orchestrator's process, when it runs in one of its own (orchestratorProcess). */
  orchestratorPid?: number;
  /** The node-class worker's process, when it runs in one of its own (nodeWorkerProcess). */
  nodeWorkerPid?: number;
  /** The dev server's process. */
  serverPid?: number;
  /** The config the workers got (queue prefix, server address, database URL), for a worker started elsewhere. */
  config: CapstanConfig;
  /** Throws if any worker died, so a phase fails fast instead of waiting for results that never come. */
  assertAlive(): void;
}

/** How to build an environment. */
export interface BenchEnvOptions {
  binary: string;
  label: string;
  dynamicConfig: Record<string, string>;
  /** SQLite pragmas of the server's file; undefined uses Capstan's (DEV_SERVER_SQLITE_PRAGMAS). */
  sqlitePragmas?: Record<string, string>;
  portFrom: number;
  base: CapstanConfig;
  workspaceDir: string;
  nodeClass: NodeClass;
  nodeClasses: NodeClass[];
  withRaw: boolean;
  /** False: only the orchestrator runs in this process, and the phase starts a node-class worker of its own. */
  inProcessNodeWorker?: boolean;
  /** True: the embedded database runs in a process of its own, as under `npm start`, not in the bench's. */
  databaseProcess?: boolean;
  /** True: the orchestrator worker runs in a process of its own, as under `npm start`, not in the bench's. */
  orchestratorProcess?: boolean;
  /** True: the node-class worker runs in a process of its own, as under `npm start` (implies inProcessNodeWorker false). */
  nodeWorkerProcess?: boolean;
  /** A PostgreSQL server to use instead of a fresh embedded database (its tables are migrated on open). */
  databaseUrl?: string;
  log(line: string): void;
}

/** Starts an environment, runs `phase` in it, and always tears everything down again (workers, connections, server). */
export async function withBenchEnv<T>(options: BenchEnvOptions, phase: (env: BenchEnv) => Promise<T>): Promise<T> {
  options.log(`starting dev server "${options.label}"`);
  const server = await startBenchServer(
    options.binary,
    options.label,
    options.dynamicConfig,
    options.portFrom,
    options.sqlitePragmas,
  );
  const cleanups: Array<() => Promise<void>> = [() => server.stop()];
  try {
    // A fresh prefix per environment: task queues of an earlier environment can never receive these tasks.
    const prefix = `bench-${randomUUID().slice(0, 8)}`;
    // Metering writes to a database as in production: the embedded one, started fresh per environment.
    const dbDir = join(options.workspaceDir, `db-${prefix}`);
    const own =
      options.databaseUrl === undefined && options.databaseProcess
        ? startEmbeddedProcess(dbDir, await pickPort(options.portFrom + 100))
        : undefined;
    const database =
      options.databaseUrl !== undefined
        ? { url: options.databaseUrl, stop: async () => undefined }
        : (own ?? (await startEmbeddedDatabase(dbDir, await pickPort(options.portFrom + 100))));
    const databasePid = own?.pid;
    cleanups.unshift(() => database.stop());
    const db = await openDatabase(database.url, createLogger('bench-db', 'warn'));
    cleanups.unshift(() => db.end());
    const config = {
      ...benchConfig(options.base, server.address, prefix, options.workspaceDir),
      database: { url: database.url, embeddedPort: 0 },
    };
    const connection = await NativeConnection.connect({ address: server.address });
    cleanups.unshift(() => connection.close());
    const clientConnection = await Connection.connect({ address: server.address });
    cleanups.unshift(() => clientConnection.close());
    const client = new Client({
      connection: clientConnection,
      namespace: 'default',
      dataConverter: capstanDataConverter,
    });

    options.log(`server ${server.address} up; bundling workflows and starting workers (prefix ${prefix})`);
    const running: RunningWorkers[] = [];
    // Registered before the first worker starts, so workers are shut down even if a later one fails to start.
    cleanups.unshift(async () => {
      await Promise.all(running.map((r) => r.stop()));
    });
    running.push(
      await startCapstanWorkers(
        connection,
        config,
        options.inProcessNodeWorker === false || options.nodeWorkerProcess ? undefined : options.nodeClass,
        db,
        !options.orchestratorProcess,
      ),
    );
    const orchestrator = options.orchestratorProcess ? await startOrchestratorProcess(config, options.log) : undefined;
    let nodeWorker: WorkerProcess | undefined;
    if (options.nodeWorkerProcess) {
      // The bench's classes (its concurrency) as a file the worker process reads; YAML reads this JSON.
      const classesFile = writeClassesFile(
        join(options.workspaceDir, `node-classes-${prefix}.yaml`),
        options.nodeClasses,
      );
      nodeWorker = await startNodeClassProcess(
        config,
        options.nodeClass.name,
        classesFile,
        join(options.workspaceDir, `data-${prefix}`),
        options.log,
      );
    }
    for (const child of [orchestrator, nodeWorker]) {
      if (!child) continue;
      cleanups.unshift(() => child.stop());
      running.push({ assertAlive: () => child.assertAlive(), stop: () => Promise.resolve() });
    }
    const raw: RawQueues | undefined = options.withRaw
      ? { workflowQueue: `${prefix}-raw-workflows`, activityQueue: `${prefix}-raw-activities` }
      : undefined;
    if (raw) running.push(await startRawWorkers(connection, raw, options.nodeClass.concurrency));

    // The API phase is one token sending as fast as it can: a rate limit would measure itself, not the API.
    const deps: ApiDeps = {
      ...apiDepsFromConfig(config, {
        client,
        db,
        nodeClasses: options.nodeClasses,
        programs: shippedPrograms,
        stackConfigKey: configKeyFrom('bench: no stacks'),
      }),
      namespace: 'default',
      auth: { ratePerSecond: 1_000_000, burst: 1_000_000 },
    };
    const { record, secret: apiToken } = await createToken(db, {
      principal: 'bench',
      role: 'admin',
      createdBy: 'bench',
    });
    const principal: Principal = { name: record.principal, tokenId: record.id, role: record.role };
    const assertAlive = (): void => running.forEach((r) => r.assertAlive());
    return await phase({
      label: options.label,
      address: server.address,
      client,
      deps,
      apiToken,
      principal,
      raw,
      databasePid,
      orchestratorPid: orchestrator?.pid,
      nodeWorkerPid: nodeWorker?.pid,
      serverPid: server.pid,
      config,
      assertAlive,
    });
  } finally {
    options.log(`stopping workers and dev server "${options.label}"`);
    for (const cleanup of cleanups) {
      await cleanup().catch((err: unknown) => options.log(`cleanup step failed: ${(err as Error).message}`));
    }
  }
}
