/**
 * The `start` profile: the single-machine stack `npm start` runs (dist/cli/start.js): the Temporal
 * dev server, the embedded PostgreSQL (PGlite over a socket), the API, the orchestrator and a worker
 * per class, all children of that one command. The killer kills its children; `npm start`'s own
 * supervisor restarts them (the driver only waits for that, and says so when it does not happen).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { waitForFrontend } from '../cli/dev-server';
import { stopChild } from '../cli/stop-child';
import { freePort } from '../test/helpers/ports';
import { waitForReady } from './node-process';
import { CHAOS_NODE_CLASSES } from './node-classes';
import { descendantsOf, listProcesses, type ProcInfo } from './processes';
import type { ChaosStack, Killable, Target } from './stack';

const START = join(__dirname, '..', 'cli', 'start.js');

/** Starts `npm start`'s stack under `root` and resolves once it says it is up. */
export async function startStartStack(
  root: string,
  id: string,
  adminToken: string,
  say: (line: string) => void,
): Promise<ChaosStack> {
  const logDir = join(root, 'data', 'logs');
  mkdirSync(logDir, { recursive: true });
  const classesFile = join(root, 'node-classes.yaml');
  writeFileSync(classesFile, stringify({ nodeClasses: CHAOS_NODE_CLASSES }));
  const marker = { name: 'CHAOS_STACK_ID', value: id };
  const temporalAddress = `127.0.0.1:${await freePort()}`;
  const apiPort = await freePort();
  const dbPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [marker.name]: marker.value,
    CAPSTAN_DATA_DIR: join(root, 'data'),
    CAPSTAN_NODE_CLASSES_FILE: classesFile,
    CAPSTAN_TEMPORAL_ADDRESS: temporalAddress,
    CAPSTAN_TEMPORAL_UI_PORT: String(await freePort()),
    CAPSTAN_API_HOST: '127.0.0.1',
    CAPSTAN_API_PORT: String(apiPort),
    CAPSTAN_EMBEDDED_DB_PORT: String(dbPort),
    CAPSTAN_WORKER_METRICS_PORT: String(await freePort()),
    CAPSTAN_ADMIN_TOKEN: adminToken,
    CAPSTAN_HEARTBEAT_TIMEOUT_SECONDS: '10',
    CAPSTAN_SHUTDOWN_GRACE_SECONDS: '5',
    CAPSTAN_API_RATE_LIMIT_PER_SECOND: '1000',
    CAPSTAN_API_RATE_LIMIT_BURST: '1000',
  };
  const child = spawn(process.execPath, [START], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const terminal = createWriteStream(join(root, 'npm-start.log'), { flags: 'a' });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    terminal.write(chunk);
  });
  const stop = async (): Promise<void> => {
    // Ctrl-C, as a user stops it: npm start stops its workers (with their grace), the API, then the database.
    const exited = new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    if (child.exitCode === null) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    await exited;
    clearTimeout(timer);
    terminal.end();
  };
  const deadline = Date.now() + 300_000;
  while (!output.includes('Capstan is up')) {
    if (child.exitCode !== null) throw new Error(`npm start exited during start:\n${output}`);
    if (Date.now() > deadline) {
      await stopChild(child, 30_000);
      throw new Error(`npm start did not come up in 5 minutes:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:${dbPort}/postgres`;
  const startPid = child.pid!;
  const roles: Array<{ name: string; target: Target; matches: (p: ProcInfo) => boolean; ready: () => Promise<void> }> =
    [
      {
        name: 'temporal dev server',
        target: 'temporal',
        matches: (p) => p.argv.includes('start-dev'),
        ready: () => waitForFrontend(temporalAddress, 'default', 120_000),
      },
      {
        name: 'embedded postgres',
        target: 'postgres',
        matches: (p) => p.argv.some((a) => a.endsWith('db/embedded-server.js')),
        ready: () => untilDatabaseAnswers(databaseUrl, 120_000),
      },
      {
        name: 'api',
        target: 'api',
        matches: (p) => p.argv.some((a) => a.endsWith('api/server.js')),
        ready: () => waitForReady(apiUrl, 120_000),
      },
      {
        name: 'orchestrator',
        target: 'orchestrator',
        matches: (p) => p.argv.some((a) => a.endsWith('workers/orchestrator-worker.js')),
        ready: async () => {},
      },
      ...CHAOS_NODE_CLASSES.map((c) => ({
        name: `worker ${c.name}`,
        target: 'worker' as const,
        matches: (p: ProcInfo) =>
          p.argv.some((a) => a.endsWith('workers/node-class-worker.js')) &&
          envOf(p.pid).includes(`CAPSTAN_NODE_CLASS=${c.name}`),
        ready: async () => {},
      })),
    ];
  const find = (matches: (p: ProcInfo) => boolean): number | undefined =>
    descendantsOf(startPid, listProcesses()).find((p) => p.ppid === startPid && matches(p))?.pid;
  const killables: Killable[] = roles.map((role) => {
    let killed: number | undefined;
    return {
      name: role.name,
      target: role.target,
      pid: () => {
        killed = find(role.matches);
        return killed;
      },
      recover: async () => {
        // npm start's supervisor restarts the child (backoff 1 s, doubling while it keeps dying within a minute).
        const until = Date.now() + 120_000;
        for (;;) {
          const now = find(role.matches);
          if (now !== undefined && now !== killed) break;
          if (child.exitCode !== null) throw new Error(`npm start itself exited:\n${output.slice(-2000)}`);
          if (Date.now() > until) throw new Error(`npm start did not restart its ${role.name} within 120 s`);
          await new Promise((r) => setTimeout(r, 250));
        }
        await role.ready();
      },
    };
  });
  say(
    `npm start (pid ${startPid}): API ${apiUrl}, Temporal dev server ${temporalAddress}, embedded PostgreSQL :${dbPort}`,
  );
  return {
    profile: 'start',
    apiUrls: [apiUrl],
    adminToken,
    temporalAddress,
    databaseUrl,
    marker,
    storage:
      'no object store in this profile: outputs and artifacts in the local data directory (one machine), logs in the embedded PostgreSQL',
    killables,
    logDir,
    stop,
  };
}

function envOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

async function untilDatabaseAnswers(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`the embedded database did not answer within ${timeoutMs / 1000} s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
