/** The API as a process of its own (`dist/api/server.js`, as `npm start` runs it), so its CPU is measured apart from the bench's. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { CapstanConfig } from '../../config/env';
import { pickPort } from './ports';

/** A running API process. */
export interface ApiProcess {
  pid: number;
  url: string;
  /** Throws once the process exited by itself. */
  assertAlive(): void;
  stop(): Promise<void>;
}

/**
 * Starts the API on the config's server, database and queue prefix with the classes in
 * `nodeClassesFile`; its log goes to `logFile`, as the supervisor of `npm start` writes it. The
 * per-token rate limit is lifted: the bench is one token, and a user at this rate raises it too.
 * `extraEnv` overrides any of these (or adds settings).
 */
export async function startApiProcess(
  config: CapstanConfig,
  nodeClassesFile: string,
  dataDir: string,
  logFile: string,
  extraEnv: Record<string, string> = {},
): Promise<ApiProcess> {
  const port = await pickPort(27960);
  const out = openSync(logFile, 'a');
  // BENCH_API_NODE_ARGS: node flags for the API process alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, join(__dirname, '../../api/server.js')], {
    env: {
      ...process.env,
      CAPSTAN_TEMPORAL_ADDRESS: config.temporal.address,
      CAPSTAN_TEMPORAL_NAMESPACE: config.temporal.namespace,
      CAPSTAN_TASK_QUEUE_PREFIX: config.taskQueuePrefix,
      CAPSTAN_DATABASE_URL: config.database.url,
      CAPSTAN_NODE_CLASSES_FILE: nodeClassesFile,
      CAPSTAN_DATA_DIR: dataDir,
      CAPSTAN_API_HOST: '127.0.0.1',
      CAPSTAN_API_PORT: String(port),
      CAPSTAN_API_RATE_LIMIT_PER_SECOND: '1000000',
      CAPSTAN_API_RATE_LIMIT_BURST: '1000000',
      CAPSTAN_PULUMI_PASSPHRASE: randomBytes(16).toString('hex'),
      ...extraEnv,
    },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `the API process exited (${signal ?? code}; see ${logFile})`;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(exited);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the API did not answer ${url}/readyz within 60 s (see ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    pid: child.pid!,
    url,
    assertAlive: () => {
      if (exited !== undefined) throw new Error(exited);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
