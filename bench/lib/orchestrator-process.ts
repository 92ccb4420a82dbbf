/**
 * Capstan's orchestrator worker as a process of its own (`dist/workers/orchestrator-worker.js`, as
 * `npm start` runs it), so the bench can read its memory apart from the node-class worker's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CapstanConfig } from '../../config/env';
import { withTimeout } from './timeout';

/** A running orchestrator process. */
export interface OrchestratorProcess {
  pid: number;
  /** Throws once the process exited by itself. */
  assertAlive(): void;
  stop(): Promise<void>;
}

/**
 * Starts the orchestrator on the config's server and queue prefix; resolves once it polls.
 * BENCH_DAG_CPU_PROF=DIR: it writes a CPU profile there when it stops (open it in Chrome DevTools).
 */
export async function startOrchestratorProcess(
  config: CapstanConfig,
  log: (line: string) => void,
): Promise<OrchestratorProcess> {
  const profile = process.env.BENCH_DAG_CPU_PROF;
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const script = join(__dirname, '../../workers/orchestrator-worker.js');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script], {
    env: {
      ...process.env,
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
    exited = `the orchestrator process exited (${signal ?? code})`;
  });
  child.stderr!.on('data', (d: Buffer) => log(`orchestrator stderr: ${d.toString().trim()}`));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout!.on('data', (d: Buffer) => {
        seen = (seen + d.toString()).slice(-4096);
        if (seen.includes('orchestrator worker polling')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`orchestrator exited with ${code} before polling`)));
    }),
    60_000,
    'the orchestrator process',
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
