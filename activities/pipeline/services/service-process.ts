/**
 * One service of a job: a command in its own process group that outlives the activity that started it, with
 * its output going to a log, and a watchdog that kills the group when the worker process dies (a worker that
 * is SIGKILLed runs no cleanup, and the job restarts elsewhere, so nothing else would stop it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { TailBuffer } from '../../shell/tail-buffer';
import type { StepLog } from '../step-log';

/**
 * The group leader: runs the service script, and ends the whole group when the worker ($CAPSTAN_WORKER_PID)
 * is gone or when the service ends. It ignores SIGTERM sent to the group (set after the service started, which
 * would otherwise inherit it), so it can wait out the grace period and then SIGKILL what still runs; and SIGPIPE,
 * since a dead worker's end of its output pipes is closed.
 */
const WATCHDOG = `
/bin/bash -e -o pipefail "$1" &
svc=$!
trap '' TERM INT PIPE
while kill -0 "$CAPSTAN_WORKER_PID" 2>/dev/null; do
  if ! kill -0 "$svc" 2>/dev/null; then wait "$svc"; exit $?; fi
  sleep 1
done
echo "[capstan] worker $CAPSTAN_WORKER_PID is gone; stopping the service" >&2
kill -TERM -- -$$ 2>/dev/null
sleep "$CAPSTAN_KILL_GRACE_SECONDS"
kill -KILL -- -$$
`;

/** What starting a service needs. */
export interface ServiceProcessOptions {
  name: string;
  /** The script file bash runs. */
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: StepLog;
  killGraceMs: number;
}

/** A started service. */
export class ServiceProcess {
  readonly child: ChildProcess;
  readonly tail = new TailBuffer(8192);
  /** Set once the process group's leader has exited. */
  exitCode: number | undefined;
  private readonly exited: Promise<void>;

  constructor(readonly options: ServiceProcessOptions) {
    this.child = spawn('/bin/bash', ['-c', WATCHDOG, `capstan-service-${options.name}`, options.script], {
      cwd: options.cwd,
      env: {
        ...options.env,
        CAPSTAN_WORKER_PID: String(process.pid),
        CAPSTAN_KILL_GRACE_SECONDS: String(Math.max(1, Math.ceil(options.killGraceMs / 1000))),
      },
      detached: true, // its own process group, so stopping it reaches every process it started
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onOutput = (stream: 'o' | 'e') => (chunk: Buffer) => {
      options.log.write(chunk, stream);
      this.tail.push(chunk);
    };
    this.child.stdout!.on('data', onOutput('o'));
    this.child.stderr!.on('data', onOutput('e'));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.exitCode ??= 127;
        options.log.write(`[capstan] service could not start: ${err.message}\n`, 'e');
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
        resolve();
      });
    });
  }

  /** The group leader's pid, which is also the process group id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True while the service has not exited. */
  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last lines it printed, for a failure message. */
  lastLines(count = 10): string {
    const lines = this.tail.text().replace(/\n+$/, '').split('\n');
    return lines.slice(-count).join('\n');
  }

  /** Stops the whole process group: SIGTERM, then SIGKILL after the grace period; resolves once it is gone. */
  async stop(): Promise<void> {
    signalGroup(this.pid, 'SIGTERM');
    const grace = new Promise<'grace'>((resolve) => setTimeout(() => resolve('grace'), this.options.killGraceMs));
    if ((await Promise.race([this.exited.then(() => 'exited' as const), grace])) === 'grace') {
      signalGroup(this.pid, 'SIGKILL');
      await this.exited;
    }
    // Processes that left the leader behind (a daemon's children) go with the group too.
    signalGroup(this.pid, 'SIGKILL');
  }

  /** Resolves when the service exits. */
  wait(): Promise<void> {
    return this.exited;
  }
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
