/** Runs a command as the leader of its own process group, so timeout and cancellation kill all it started. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** How long to wait for the output pipes to close after the command exits. */
const PIPE_DRAIN_LIMIT_MS = 5000;

/** How to run one command and where its output goes. */
export interface ProcessGroupOptions {
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Aborting kills the group (cancellation). */
  signal: AbortSignal;
  /** Time between SIGTERM and SIGKILL when stopping the group. */
  killGraceMs: number;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

/** How the command ended. */
export interface ProcessGroupExit {
  /** Exit code, or 128 + signal number when a signal ended it (the shell's convention). */
  exitCode: number;
  timedOut: boolean;
  aborted: boolean;
  pid: number | undefined;
}

/** Starts the command and resolves when it exits; leftover processes of its group are killed then too. */
export function runProcessGroup(options: ProcessGroupOptions): Promise<ProcessGroupExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.file, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true, // new process group, led by the child
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;

    const stopGroup = (): void => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), options.killGraceMs);
    };
    const timeout = setTimeout(() => {
      timedOut = true;
      stopGroup();
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      stopGroup();
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', options.onStdout);
    child.stderr.on('data', options.onStderr);
    child.on('error', (err) => {
      clearTimeout(timeout);
      options.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
      // Background processes the command left behind would hold the pipes open forever.
      signalGroup(child.pid, 'SIGKILL');
      const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
      const finish = (): void => resolve({ exitCode, timedOut, aborted, pid: child.pid });
      // 'close' comes once the pipes are drained; a process that left the group could keep them open.
      const drainLimit = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, PIPE_DRAIN_LIMIT_MS);
      child.once('close', () => {
        clearTimeout(drainLimit);
        finish();
      });
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
