/** Runs a command as the leader of its own process group, so timeout and cancellation kill all it started. */
import { launch } from './launcher-client';

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

/**
 * Starts the command and resolves when it exits; leftover processes of its group are killed then too. The command is
 * forked by the worker's small launcher process (launcher-main), so its start never blocks this event loop.
 */
export function runProcessGroup(options: ProcessGroupOptions): Promise<ProcessGroupExit> {
  return new Promise((resolve, reject) => {
    let pid: number | undefined;
    let timedOut = false;
    let aborted = false;
    let stopping = false;
    let killTimer: NodeJS.Timeout | undefined;

    const stopGroup = (): void => {
      stopping = true;
      signalGroup(pid, 'SIGTERM');
      killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), options.killGraceMs);
    };
    const timeout = setTimeout(() => {
      timedOut = true;
      stopGroup();
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      stopGroup();
    };
    const settle = (): void => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });

    launch(
      { file: options.file, args: options.args, cwd: options.cwd, env: options.env },
      {
        spawned: (started) => {
          pid = started;
          // A timeout or cancel that came before the pid did.
          if (stopping) signalGroup(pid, 'SIGTERM');
        },
        out: (stream, chunk) => (stream === 'o' ? options.onStdout(chunk) : options.onStderr(chunk)),
        failed: (err) => {
          settle();
          // The launcher died under a running command: nobody would reap or report it any more.
          signalGroup(pid, 'SIGKILL');
          reject(err);
        },
        exited: (exitCode) => {
          settle();
          resolve({ exitCode, timedOut, aborted, pid });
        },
      },
    );
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
