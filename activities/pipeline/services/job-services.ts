/**
 * The services of a job on the worker that holds its workspace: started before the first step and checked for
 * readiness, kept in a registry of this worker process (they outlive the activity that starts them), stopped
 * after the last step, or by the workspace's release when the job failed or was cancelled.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobWorkspace } from '../../../config/run-files';
import { FailureTypes } from '../../../workflows/contracts/failure-types';
import type { ServiceRecord } from '../../../workflows/contracts/pipeline-run';
import type { PipelineService } from '../../../workflows/contracts/pipeline-spec';
import { maskerFor, openAttemptLog } from '../../logs';
import type { PipelineActivityDeps } from '../deps';
import { stepLogOn } from '../step-log';
import { ServiceProcess } from './service-process';

/** Input of `startJobServices`. */
export interface StartServicesInput {
  runId: string;
  jobId: string;
  /** The job's try (a restart on another worker logs under `@restart-<n>`, as its steps do). */
  restart: number;
  services: Record<string, PipelineService>;
  /** The job's environment; each service adds its own `env`. */
  env: Record<string, string>;
}

/** Services running on this worker process, by job, with the directory that holds their files. */
const running = new Map<string, { root: string; services: Map<string, ServiceProcess> }>();

const jobKey = (runId: string, jobId: string): string => `${runId}\u0000${jobId}`;

/**
 * Where a job's services keep their files: a short directory of its own under the system's temporary directory,
 * since a Unix socket's path must fit in 107 bytes (PostgreSQL puts its socket there), which a path under the
 * workspace root rarely does. Others may traverse it but not list it, so a service run as another user (as
 * PostgreSQL must be under root) reaches its own directory inside.
 */
async function makeServicesRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'capstan-svc-'));
  await chmod(root, 0o711);
  return root;
}

/** How often readiness is probed, and how long one probe command may run. */
const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 10_000;

/** Starts each service of the job and waits until all are ready; a service that is not fails the job, quoting its log. */
export async function startJobServices(
  deps: PipelineActivityDeps,
  input: StartServicesInput,
): Promise<ServiceRecord[]> {
  const ctx = Context.current();
  const { runId, jobId } = input;
  // A retried start (or a restarted job on this worker) begins clean.
  await stopJobServices(deps, { runId, jobId });
  const root = await makeServicesRoot();
  const started = new Map<string, ServiceProcess>();
  running.set(jobKey(runId, jobId), { root, services: started });
  const records: ServiceRecord[] = [];
  const beat = setInterval(() => ctx.heartbeat({ services: records.map((r) => `${r.name}: ${r.status}`) }), 2000);
  try {
    for (const [name, service] of Object.entries(input.services)) {
      const dir = join(root, name);
      await mkdir(dir, { recursive: true });
      const script = join(root, `${name}.service.sh`);
      await writeFile(script, service.run, { mode: 0o700 });
      const env = serviceEnv(input.env, service, dir, jobWorkspace(deps.workspaceRoot, runId, jobId));
      const taskId = `${jobId}/service-${name}${input.restart > 0 ? `@restart-${input.restart}` : ''}`;
      const masker = maskerFor(deps.logs, env, []);
      const log = stepLogOn(openAttemptLog(deps.logs, { runId, taskId, attempt: 1 }, deps.workerIdentity, masker));
      const proc = new ServiceProcess({ name, script, cwd: dir, env, log, killGraceMs: deps.killGraceMs });
      started.set(name, proc);
      const record: ServiceRecord = {
        name,
        status: 'starting',
        pid: proc.pid,
        worker: deps.workerIdentity,
        startedAt: new Date().toISOString(),
      };
      records.push(record);
      await waitUntilReady(name, service, proc, env, dir, ctx.cancellationSignal);
      record.status = 'ready';
      record.readyAt = new Date().toISOString();
      log.write(
        `[capstan] service "${name}" ready after ${Date.parse(record.readyAt) - Date.parse(record.startedAt!)} ms\n`,
      );
    }
    return records;
  } catch (err) {
    await stopJobServices(deps, { runId, jobId });
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('services cancelled; process groups killed');
    if (err instanceof ServiceNotReady)
      throw ApplicationFailure.create({
        type: FailureTypes.stepFailed,
        message: err.message,
        details: [records.map((r) => (r.name === err.service ? { ...r, status: 'failed', message: err.message } : r))],
        nonRetryable: true,
      });
    throw err;
  } finally {
    clearInterval(beat);
  }
}

/** What stopping a job's services found. */
export interface StoppedService {
  name: string;
  /** How the service's process group leader ended. */
  exitCode?: number;
  /** Set when the service had already ended by itself while the steps ran. */
  exitedEarly: boolean;
}

/** Stops every service of the job on this worker (no-op when it has none) and removes their files. */
export async function stopJobServices(
  deps: PipelineActivityDeps,
  { runId, jobId }: { runId: string; jobId: string },
): Promise<StoppedService[]> {
  const key = jobKey(runId, jobId);
  const held = running.get(key);
  running.delete(key);
  const stopped: StoppedService[] = [];
  for (const [name, service] of held?.services ?? []) {
    const exitedEarly = !service.running;
    await service.stop();
    await service.options.log.close(
      exitedEarly
        ? `[capstan] service "${name}" had exited with code ${service.exitCode} while the job ran`
        : `[capstan] service "${name}" stopped (process group ${service.pid} killed)`,
    );
    stopped.push({ name, exitCode: service.exitCode, exitedEarly });
  }
  if (held) await rm(held.root, { recursive: true, force: true });
  return stopped;
}

/** A service that exited or timed out before it was ready. */
class ServiceNotReady extends Error {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(message);
  }
}

async function waitUntilReady(
  name: string,
  service: PipelineService,
  proc: ServiceProcess,
  env: NodeJS.ProcessEnv,
  cwd: string,
  signal: AbortSignal,
): Promise<void> {
  const ready = service.ready;
  const timeoutMs = (ready?.['timeout-seconds'] ?? 60) * 1000;
  const deadline = Date.now() + timeoutMs;
  const tail = (): string => {
    const lines = proc.lastLines();
    return lines.trim() === '' ? ' (it printed nothing)' : `; its log ends:\n${lines}`;
  };
  for (;;) {
    if (signal.aborted) throw new CancelledFailure('cancelled while waiting for services');
    if (!proc.running)
      throw new ServiceNotReady(
        name,
        `service "${name}" exited with code ${proc.exitCode} before it was ready${tail()}`,
      );
    // Without a check, a service is ready once it has started and not failed at once.
    if (!ready) {
      await sleep(PROBE_INTERVAL_MS);
      if (proc.running) return;
      continue;
    }
    if ('port' in ready ? await portAnswers(ready.port) : await commandSucceeds(ready.run, env, cwd)) return;
    if (Date.now() >= deadline)
      throw new ServiceNotReady(
        name,
        `service "${name}" did not become ready within ${timeoutMs / 1000}s (${'port' in ready ? `port ${ready.port} refused connections` : 'its ready command kept failing'})${tail()}`,
      );
    await sleep(PROBE_INTERVAL_MS);
  }
}

/** The environment of a service: the worker's without Capstan's own settings, the job's, the service's, and its directory. */
function serviceEnv(
  jobEnv: Record<string, string>,
  service: PipelineService,
  dir: string,
  workspace: string,
): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAPSTAN_'))),
    ...jobEnv,
    ...service.env,
    CAPSTAN_WORKSPACE: workspace,
    CAPSTAN_SERVICE_DIR: dir,
  };
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function commandSucceeds(command: string, env: NodeJS.ProcessEnv, cwd: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/bash', ['-c', command], { cwd, env, stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, PROBE_TIMEOUT_MS);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
