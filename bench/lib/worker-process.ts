/**
 * Capstan's workers as processes of their own (`dist/workers/*.js`, as `npm start` runs them), so
 * the bench reads each one's memory, and a task's spawn is not a fork of the bench's large process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CapstanConfig } from '../../config/env';
import { withTimeout } from './timeout';

/** A running worker process. */
export interface WorkerProcess {
  pid: number;
  /** Throws once the process exited by itself. */
  assertAlive(): void;
  stop(): Promise<void>;
}

/** Starts the orchestrator on the config's server and queue prefix; resolves once it polls. */
export function startOrchestratorProcess(config: CapstanConfig, log: (line: string) => void): Promise<WorkerProcess> {
  return startWorkerProcess('orchestrator', [], config, {}, log);
}

/**
 * Starts a worker of `nodeClass` with the classes in `nodeClassesFile` (the bench's, with its
 * concurrency) on the config's server, database and workspace; resolves once it polls.
 */
export function startNodeClassProcess(
  config: CapstanConfig,
  nodeClass: string,
  nodeClassesFile: string,
  dataDir: string,
  log: (line: string) => void,
): Promise<WorkerProcess> {
  return startWorkerProcess(
    'node-class',
    ['--class', nodeClass],
    config,
    {
      CAPSTAN_NODE_CLASSES_FILE: nodeClassesFile,
      CAPSTAN_DATA_DIR: dataDir,
      CAPSTAN_WORKSPACE_DIR: config.worker.workspaceDir,
      // Another class runs stack operations, so this worker never fetches or builds a Pulumi CLI in the background.
      CAPSTAN_PULUMI_NODE_CLASS: 'highmem',
    },
    log,
  );
}

/**
 * Starts `dist/workers/<role>-worker.js`. BENCH_DAG_CPU_PROF=DIR: it writes a CPU profile there when
 * it stops (open it in Chrome DevTools).
 */
async function startWorkerProcess(
  role: 'orchestrator' | 'node-class',
  args: string[],
  config: CapstanConfig,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<WorkerProcess> {
  const profile = process.env.BENCH_DAG_CPU_PROF;
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const script = join(__dirname, `../../workers/${role}-worker.js`);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: {
      ...process.env,
      ...env,
      CAPSTAN_TEMPORAL_ADDRESS: config.temporal.address,
      CAPSTAN_TEMPORAL_NAMESPACE: config.temporal.namespace,
      CAPSTAN_TASK_QUEUE_PREFIX: config.taskQueuePrefix,
      CAPSTAN_DATABASE_URL: config.database.url,
      CAPSTAN_SHUTDOWN_GRACE_SECONDS: '2',
      CAPSTAN_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `the ${role} worker process exited (${signal ?? code})`;
  });
  child.stderr!.on('data', (d: Buffer) => log(`${role} worker stderr: ${d.toString().trim()}`));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout!.on('data', (d: Buffer) => {
        seen = (seen + d.toString()).slice(-4096);
        if (seen.includes(`${role === 'orchestrator' ? 'orchestrator' : 'node-class'} worker polling`)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the ${role} worker exited with ${code} before polling`)));
    }),
    60_000,
    `the ${role} worker process`,
  );
  // Its log lines are not read any further; drained so a full pipe never blocks it.
  child.stdout!.resume();
  return {
    pid: child.pid!,
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
