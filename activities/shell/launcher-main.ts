/**
 * The command launcher: a small process that starts commands for its worker. Forking copies the page tables of the
 * process that forks, and a worker's hundreds of megabytes made each `spawn` block its event loop for tens of
 * milliseconds (the largest cost of a light task); forking from this process costs a few.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { LaunchEvent, LaunchRequest } from './launcher-protocol';

/** How long to wait for the output pipes to close after the command exits. */
const PIPE_DRAIN_LIMIT_MS = 5000;

function send(event: LaunchEvent): void {
  process.send?.(event);
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

/** Process groups of the commands still running, so a launcher whose worker died can end them. */
const running = new Set<number>();

function launch(req: LaunchRequest): void {
  let child: ChildProcess;
  try {
    child = spawn(req.file, req.args, {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    send({ t: 'failed', id: req.id, code: (err as NodeJS.ErrnoException).code, message: (err as Error).message });
    return;
  }
  let failed = false;
  child.on('error', (err: NodeJS.ErrnoException) => {
    failed = true;
    send({ t: 'failed', id: req.id, code: err.code, message: err.message });
  });
  if (child.pid !== undefined) {
    running.add(child.pid);
    send({ t: 'spawned', id: req.id, pid: child.pid });
  }
  child.stdout?.on('data', (data: Buffer) => send({ t: 'out', id: req.id, stream: 'o', data }));
  child.stderr?.on('data', (data: Buffer) => send({ t: 'out', id: req.id, stream: 'e', data }));
  child.on('exit', (code, signal) => {
    // Background processes the command left behind would hold the pipes open forever.
    signalGroup(child.pid, 'SIGKILL');
    if (child.pid !== undefined) running.delete(child.pid);
    const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
    const finish = (): void => {
      if (!failed) send({ t: 'exited', id: req.id, exitCode });
    };
    // 'close' comes once the pipes are drained; a process that left the group could keep them open.
    const drainLimit = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish();
    }, PIPE_DRAIN_LIMIT_MS);
    child.once('close', () => {
      clearTimeout(drainLimit);
      finish();
    });
  });
}

process.on('message', (req: LaunchRequest) => {
  if (req.t === 'spawn') launch(req);
});
// The worker is gone (stopped or killed): nobody is left to report to, and Temporal will give the attempt to another
// worker once its heartbeat stops. A command left running here would run beside that retry, so its group dies now.
process.on('disconnect', () => {
  for (const pid of running) signalGroup(pid, 'SIGKILL');
  process.exit(0);
});
