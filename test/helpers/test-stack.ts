/**
 * A Capstan stack for one test file on the suite's Temporal dev server: real worker processes,
 * the real API on a loopback port, and a task-queue prefix of its own so files never share work.
 */
import { configKeyFrom } from '../../db/stores/stack-config-secrets';
import { shippedPrograms } from '../../infra/programs/registry';
import { pulumiPassphrase } from '../../toolchain/pulumi-settings';
import { Client, Connection } from '@temporalio/client';
import { capstanDataConverter } from '../../config/payload-codec';
import { settlingRetries } from './settling-retries';
import type { Pool } from 'pg';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createApp } from '../../api/app';
import type { Role } from '../../db/stores/token-roles';
import { createToken } from '../../db/stores/token-store';
import type { ApiDeps } from '../../api/services/deps';
import { costScheduleId, costScheduleSettings, ensureCostSchedule } from '../../api/services/cost-schedules';
import { stopChild } from '../../cli/stop-child';
import { loadConfig } from '../../config/env';
import { createLogger } from '../../config/logger';
import type { NodeClass } from '../../config/node-classes';
import { openDatabase } from '../../db/open';
import { nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import { createTestDatabase } from './database';

const DIST = join(__dirname, '..', '..');

/** Options of a test stack. */
export interface TestStackOptions {
  nodeClasses?: NodeClass[];
  /** Classes that get a worker process at start (default: every class). */
  startWorkersFor?: string[];
  heartbeatTimeoutSeconds?: number;
  infraMaxAttempts?: number;
  /** Lower it to make DAG runs continue as new early. */
  continueAsNewAfterEvents?: number;
  /** Extra environment of every worker process, e.g. a smaller CAPSTAN_MAX_OUTPUT_BYTES. */
  workerEnv?: Record<string, string | undefined>;
  /** The API's fairness label and weights (CAPSTAN_FAIRNESS_LABEL / _WEIGHTS); none by default. */
  fairness?: ApiDeps['fairness'];
  /** Per-token rate limit of the stack's API; generous by default so polling tests never meet it. */
  rateLimit?: { ratePerSecond: number; burst: number };
  /** A Temporal server of the test's own instead of the suite's (e.g. one bound to a bridge address). */
  temporalAddress?: string;
  /** A PostgreSQL server of the test's own (superuser URL) for the stack's database. */
  databaseAdminUrl?: string;
}

/** A running test stack. */
export interface TestStack {
  baseUrl: string;
  client: Client;
  prefix: string;
  nodeClasses: NodeClass[];
  dataDir: string;
  /** The stack's own database (migrated), shared by its API and workers. */
  db: Pool;
  databaseUrl: string;
  /**
   * Starts a node-class worker process (with `env` over the stack's, and `launchPrefix` before node, e.g. to run it
   * in a network namespace) and waits until Temporal sees it polling.
   */
  startWorker(nodeClass: string, env?: Record<string, string>, launchPrefix?: string[]): Promise<ChildProcess>;
  /** The orchestrator worker process started with the stack (or the last one `startOrchestrator` started). */
  orchestrator: () => ChildProcess;
  /** Starts another orchestrator worker process and waits until it polls. */
  startOrchestrator(): Promise<ChildProcess>;
  /** Number of Capstan runs this stack's prefix has started (of one kind, or all), once visibility has caught up. */
  countRuns(kind?: string): Promise<number>;
  /** An admin token of the stack's API, created directly in its database. */
  adminToken: string;
  /** Creates a token of `role` directly in the database and returns its id and secret. */
  mintToken(role: Role, options?: { principal?: string; expiresAt?: Date }): Promise<{ id: string; token: string }>;
  /** The dependencies the stack's API was built with, to build another app over the same stack. */
  deps: ApiDeps;
  /**
   * `fetch` against the API with JSON in and out, as the admin token unless `headers` has its own
   * `authorization` (an empty one sends none).
   */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/** Two classes, `a` and `b`, with small concurrency. */
export const DEFAULT_TEST_CLASSES: NodeClass[] = [
  { name: 'a', concurrency: 2, pricePerHour: 0.1, labels: { size: 'small' } },
  { name: 'b', concurrency: 2, pricePerHour: 0.5, labels: { size: 'large' } },
];

/** The suite's Temporal address, set by test/run-tests. */
export function testTemporalAddress(): string {
  const address = process.env.CAPSTAN_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('CAPSTAN_TEST_TEMPORAL_ADDRESS is not set: run the tests with `npm test`');
  return address;
}

/** Starts workers and API for one test file. */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const nodeClasses = options.nodeClasses ?? DEFAULT_TEST_CLASSES;
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-stack-'));
  const classesFile = join(dataDir, 'node-classes.yaml');
  writeFileSync(classesFile, stringify({ nodeClasses }));
  const address = options.temporalAddress ?? testTemporalAddress();
  const database = await createTestDatabase(options.databaseAdminUrl);
  const db = await openDatabase(database.url, createLogger('test-db', 'silent'));
  const mintToken: TestStack['mintToken'] = async (role, tokenOptions = {}) => {
    const { record, secret } = await createToken(db, {
      principal: tokenOptions.principal ?? `test-${role}`,
      role,
      createdBy: 'test-stack',
      expiresAt: tokenOptions.expiresAt,
    });
    return { id: record.id, token: secret };
  };
  const adminToken = (await mintToken('admin', { principal: 'test-admin' })).token;
  const env = {
    ...process.env,
    CAPSTAN_TEMPORAL_ADDRESS: address,
    CAPSTAN_TASK_QUEUE_PREFIX: prefix,
    CAPSTAN_NODE_CLASSES_FILE: classesFile,
    CAPSTAN_DATA_DIR: dataDir,
    CAPSTAN_DATABASE_URL: database.url,
    CAPSTAN_SHUTDOWN_GRACE_SECONDS: '2',
    CAPSTAN_LOG_LEVEL: 'warn',
    ...(process.env.CAPSTAN_TEST_PULUMI_BIN ? { CAPSTAN_PULUMI_BIN: process.env.CAPSTAN_TEST_PULUMI_BIN } : {}),
    ...options.workerEnv,
  };
  const retries = settlingRetries();
  const connection = await Connection.connect({ address, interceptors: [retries.interceptor] });
  const client = new Client({ connection, namespace: 'default', dataConverter: capstanDataConverter });
  const children: ChildProcess[] = [];

  const spawnWorker = (script: string, extraEnv: Record<string, string>, launchPrefix: string[] = []): ChildProcess => {
    // `ip netns exec` execs its command in place, so the pid (and the identity ending in it) is node's.
    const argv = [...launchPrefix, process.execPath, join(DIST, 'workers', script)];
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };
  const waitForPoller = async (taskQueue: string, type: 1 | 2, child: ChildProcess): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`worker for ${taskQueue} exited with ${child.exitCode}`);
      const response = await client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: type,
      });
      const pid = String(child.pid);
      if ((response.pollers ?? []).some((p) => p.identity?.endsWith(`/${pid}`))) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no poller on ${taskQueue} after 60 s`);
  };
  const startWorker = async (
    nodeClass: string,
    extraEnv: Record<string, string> = {},
    launchPrefix: string[] = [],
  ): Promise<ChildProcess> => {
    const child = spawnWorker('node-class-worker.js', { ...extraEnv, CAPSTAN_NODE_CLASS: nodeClass }, launchPrefix);
    await waitForPoller(nodeClassTaskQueue(prefix, nodeClass), 2, child);
    return child;
  };

  const stopChildren = () => Promise.all(children.map((child) => stopChild(child, 8000)));
  let orchestrator: ChildProcess;
  const startOrchestrator = async (): Promise<ChildProcess> => {
    orchestrator = spawnWorker('orchestrator-worker.js', {});
    await waitForPoller(orchestratorTaskQueue(prefix), 1, orchestrator);
    return orchestrator;
  };
  try {
    await Promise.all([
      startOrchestrator(),
      ...(options.startWorkersFor ?? nodeClasses.map((c) => c.name)).map((name) => startWorker(name)),
    ]);
  } catch (err) {
    // A half-started stack must not leave workers behind to hang the test run.
    await stopChildren();
    await connection.close();
    await db.end();
    await database.drop();
    throw err;
  }

  const deps: ApiDeps = {
    client,
    db,
    namespace: 'default',
    taskQueuePrefix: prefix,
    nodeClasses,
    taskPolicy: {
      heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds ?? 5,
      infraMaxAttempts: options.infraMaxAttempts ?? 5,
    },
    ...(options.fairness ? { fairness: options.fairness } : {}),
    pollerLivenessSeconds: 75,
    // As the API's configuration would read it beside the workers' CAPSTAN_WORKER_REPORT_INTERVAL_SECONDS.
    workerLostAfterSeconds: loadConfig(env).fleet.lostAfterSeconds,
    maxBodyBytes: 64 * 1024,
    maxDagBodyBytes: 16 * 1024 * 1024,
    dagLimits: { maxExpandedTasks: 10_000, maxMatrixBranches: 64 },
    dagPolicy: { continueAsNewAfterEvents: options.continueAsNewAfterEvents ?? 10_000 },
    webUiUrl: 'http://127.0.0.1:8233',
    auth: options.rateLimit ?? { ratePerSecond: 10_000, burst: 10_000 },
    // Where the workers' configuration puts it: under their CAPSTAN_DATA_DIR.
    outputStoreDir: options.workerEnv?.CAPSTAN_OUTPUT_STORE_DIR ?? join(dataDir, 'outputs'),
    // The bucket the workers' configuration names instead, when it names one (CAPSTAN_OUTPUT_STORE=s3).
    outputS3: loadConfig(env).worker.outputS3,
    pulumiNodeClass: options.workerEnv?.CAPSTAN_PULUMI_NODE_CLASS ?? 'general',
    programs: shippedPrograms,
    // The key the stack's workers derive from the passphrase in its data directory.
    stackConfigKey: configKeyFrom(await pulumiPassphrase(loadConfig(env), createLogger('test-stack', 'silent'))),
    // The store the workers' configuration names: the API reads the artifacts they upload.
    artifacts: loadConfig(env).pipeline,
  };
  // As api/server.ts does at start: the cost analysis schedule of this stack's prefix, configured by the workers' environment.
  await ensureCostSchedule(client, costScheduleSettings(prefix, loadConfig(env).cost, nodeClasses));
  const server: Server = createApp(deps, createLogger('api-test', 'silent')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    client,
    prefix,
    nodeClasses,
    dataDir,
    db,
    databaseUrl: database.url,
    startWorker,
    startOrchestrator,
    adminToken,
    mintToken,
    deps,
    orchestrator: () => orchestrator,
    countRuns: async (kind) => {
      // Visibility lags a start by a moment: read until two reads 300 ms apart agree.
      const query = `TaskQueue = '${orchestratorTaskQueue(prefix)}'${kind ? ` AND CapstanKind = '${kind}'` : ''}`;
      const read = async () => (await client.workflow.count(query)).count;
      let last = await read();
      for (;;) {
        await new Promise((r) => setTimeout(r, 300));
        const now = await read();
        if (now === last) return now;
        last = now;
      }
    },
    request: async (method, path, body, given = {}) => {
      const own = Object.keys(given).find((name) => name.toLowerCase() === 'authorization');
      const headers = { ...given };
      if (own === undefined) headers.Authorization = `Bearer ${adminToken}`;
      else if (headers[own] === '') delete headers[own];
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
    },
    stop: async () => {
      await new Promise((r) => server.close(r));
      await stopChildren();
      await client.schedule
        .getHandle(costScheduleId(prefix))
        .delete()
        .catch(() => undefined);
      // A retry still due would fire on a closed channel and throw from its timer.
      await retries.settled(15_000);
      await connection.close();
      await db.end();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `GET /v1/runs/:id` until the run is no longer running. */
export async function waitForRunEnd(stack: TestStack, runId: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await stack.request('GET', `/v1/runs/${runId}`);
    if (body.status !== 'running') return body;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} still running after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
