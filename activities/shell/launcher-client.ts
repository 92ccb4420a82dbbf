/** The worker's side of the command launcher: one launcher process per worker process, started on first use. */
import { fork, type ChildProcess } from 'node:child_process';
import type { LaunchEvent, LaunchRequest } from './launcher-protocol';

/** What the launcher reports about one command. */
export interface LaunchHandlers {
  spawned(pid: number): void;
  out(stream: 'o' | 'e', chunk: Buffer): void;
  /** The command could not start (the error carries the spawn error's code), or the launcher died under it. */
  failed(err: NodeJS.ErrnoException): void;
  exited(exitCode: number): void;
}

let launcher: ChildProcess | undefined;
const runs = new Map<number, LaunchHandlers>();
let nextId = 1;

/** While no command runs, the launcher must not keep the worker process alive. */
function holdWorker(hold: boolean): void {
  if (!launcher) return;
  const channel = launcher.channel as { ref(): void; unref(): void } | null | undefined;
  if (hold) {
    launcher.ref();
    channel?.ref();
  } else {
    launcher.unref();
    channel?.unref();
  }
}

function startLauncher(): ChildProcess {
  const child = fork(require.resolve('./launcher-main'), [], {
    // No inspector or profiler flags of the worker: the launcher is meant to stay small.
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.on('message', (event: LaunchEvent) => {
    const run = runs.get(event.id);
    if (!run) return;
    if (event.t === 'spawned') run.spawned(event.pid);
    else if (event.t === 'out')
      run.out(event.stream, Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength));
    else {
      runs.delete(event.id);
      if (runs.size === 0) holdWorker(false);
      if (event.t === 'exited') run.exited(event.exitCode);
      else run.failed(Object.assign(new Error(event.message), { code: event.code }));
    }
  });
  const lost = (why: string): void => {
    if (launcher !== child) return;
    launcher = undefined;
    const orphans = [...runs.values()];
    runs.clear();
    for (const run of orphans) run.failed(new Error(`the worker's command launcher ${why}`));
  };
  child.on('exit', (code, signal) => lost(`exited (${signal ?? `code ${code}`})`));
  child.on('error', (err) => lost(`failed: ${err.message}`));
  return child;
}

/** Starts a command through the launcher as the leader of its own process group; events arrive on `handlers`. */
export function launch(request: Omit<LaunchRequest, 't' | 'id'>, handlers: LaunchHandlers): void {
  launcher ??= startLauncher();
  const id = nextId++;
  runs.set(id, handlers);
  holdWorker(true);
  const message: LaunchRequest = { t: 'spawn', id, ...request };
  launcher.send(message, (err) => {
    if (!err || !runs.delete(id)) return;
    if (runs.size === 0) holdWorker(false);
    handlers.failed(err);
  });
}

/** The launcher's pid while one runs, so tests can check what happens when it dies. */
export function launcherPid(): number | undefined {
  return launcher?.pid;
}
