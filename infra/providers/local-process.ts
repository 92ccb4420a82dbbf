/**
 * A long-running local process (a small server, say) as a Pulumi dynamic resource. The process is
 * known by its pid and its start time together, so a pid the kernel reused is never taken for it.
 */
import * as pulumi from '@pulumi/pulumi';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** The Pulumi type token of this resource (the dynamic Resource constructor adds the `dynamic/` module prefix). */
export const LOCAL_PROCESS_TYPE = 'pulumi-nodejs:dynamic/local:Process';

interface ProcessInputs {
  command: string;
  args: string[];
  cwd: string | null;
  env: Record<string, string>;
  logFile: string | null;
  waitForPort: number | null;
}

interface ProcessState extends ProcessInputs {
  pid: number;
  /** Kernel start time of the pid (clock ticks since boot on Linux, `ps` lstart elsewhere). */
  startTime: string;
}

const INPUT_KEYS: ReadonlyArray<keyof ProcessInputs> = ['command', 'args', 'cwd', 'env', 'logFile', 'waitForPort'];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The start time of a live (not zombie) pid, or null when no such process runs. */
function liveStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after its last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? null : (fields[19] ?? null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    // Without /proc (macOS), ps says when the pid started; a missing pid makes ps exit non-zero.
    const started = execFileSync('ps', ['-o', 'stat=,lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return started === '' || started.startsWith('Z') ? null : started.replace(/^\S+\s+/, '');
  } catch {
    return null;
  }
}

function isOurs(state: Pick<ProcessState, 'pid' | 'startTime'>): boolean {
  return liveStartTime(state.pid) === state.startTime;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Detached children lead their own process group; signalling it also stops what they spawned.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

async function stop(state: Pick<ProcessState, 'pid' | 'startTime'>, graceMs = 5_000): Promise<void> {
  if (!isOurs(state)) return;
  signalGroup(state.pid, 'SIGTERM');
  for (const deadline = Date.now() + graceMs; Date.now() < deadline; await sleep(100)) {
    if (!isOurs(state)) return;
  }
  signalGroup(state.pid, 'SIGKILL');
  for (let i = 0; i < 50 && isOurs(state); i++) await sleep(100);
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Starts the process detached and returns once it runs (and, if asked, listens), or fails having stopped it. */
async function start(inputs: ProcessInputs): Promise<ProcessState> {
  const log = inputs.logFile ? openSync(inputs.logFile, 'a') : 'ignore';
  // Only PATH is inherited: the provider's own environment holds the stack passphrase.
  const child = spawn(inputs.command, inputs.args, {
    cwd: inputs.cwd ?? undefined,
    env: { PATH: process.env.PATH ?? '', ...inputs.env },
    detached: true,
    stdio: ['ignore', log, log],
  });
  if (typeof log === 'number') closeSync(log);
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  child.unref();
  const pid = child.pid!;
  const startTime = liveStartTime(pid);
  const state = { ...inputs, pid, startTime: startTime ?? '' };
  // A command that dies at once (bad arguments, port taken) fails the create rather than leaving a dead resource.
  const deadline = Date.now() + (inputs.waitForPort === null ? 500 : 15_000);
  for (;;) {
    if (exited !== null || startTime === null)
      throw new Error(
        `${inputs.command} ${exited ?? 'exited at once'}${inputs.logFile ? `; see ${inputs.logFile}` : ''}`,
      );
    if (inputs.waitForPort !== null && (await portAnswers(inputs.waitForPort))) return state;
    if (Date.now() >= deadline) {
      if (inputs.waitForPort === null) return state;
      await stop(state);
      throw new Error(`${inputs.command} did not listen on port ${inputs.waitForPort} within 15 s`);
    }
    await sleep(100);
  }
}

function normalize(inputs: Partial<ProcessInputs>): ProcessInputs {
  return {
    command: inputs.command ?? '',
    args: inputs.args ?? [],
    cwd: inputs.cwd ?? null,
    // Sorted, so the same variables in another order are no change.
    env: Object.fromEntries(Object.entries(inputs.env ?? {}).sort(([a], [b]) => a.localeCompare(b))),
    logFile: inputs.logFile ?? null,
    waitForPort: inputs.waitForPort ?? null,
  };
}

const processProvider: pulumi.dynamic.ResourceProvider<ProcessInputs, ProcessState> = {
  async create(inputs) {
    const state = await start(normalize(inputs));
    return { id: String(state.pid), outs: state };
  },
  async diff(_id, olds, news) {
    const before = normalize(olds);
    const after = normalize(news);
    const changed = INPUT_KEYS.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
    // Every input shapes the running process, so any change restarts it; stop first since it likely holds a port.
    return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: true };
  },
  async read(id, props) {
    // A process that died or was killed by hand is gone; the next up starts it again.
    if (!props || !isOurs(props)) return {};
    return { id, props };
  },
  async delete(_id, props) {
    await stop(props);
  },
};

/** Inputs of a local process. */
export interface ProcessArgs {
  command: pulumi.Input<string>;
  args?: pulumi.Input<pulumi.Input<string>[]>;
  cwd?: pulumi.Input<string>;
  /** The whole environment besides PATH; nothing else of the provider's environment is passed on. */
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Appends stdout and stderr here; discarded when unset. */
  logFile?: pulumi.Input<string>;
  /** Create succeeds only once something listens on this loopback port. */
  waitForPort?: pulumi.Input<number>;
}

/** A detached local process; any input change replaces it (stop, then start), delete sends SIGTERM then SIGKILL. */
export class Process extends pulumi.dynamic.Resource {
  declare readonly pid: pulumi.Output<number>;
  declare readonly startTime: pulumi.Output<string>;

  constructor(name: string, args: ProcessArgs, opts?: pulumi.CustomResourceOptions) {
    super(processProvider, name, { ...args, pid: undefined, startTime: undefined }, opts, 'local', 'Process');
  }
}
