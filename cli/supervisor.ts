/** Runs Capstan's processes as children, restarts one that dies, and stops them all in order. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { routeChildOutput } from './child-output';
import { stopChild } from './stop-child';

/** One process to keep running. */
export interface ChildSpec {
  name: string;
  /** How terminal lines name it (`worker general`); its log file is `<logDir>/<label with dashes>.log`. */
  label: string;
  /** Compiled entry file to run with node. */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
}

const MAX_BACKOFF_MS = 30_000;

/** Where children's output goes. */
export interface SupervisorOptions {
  /** Writes one line for people to the terminal. */
  report: (message: string) => void;
  /** Each child's output is appended to a file here. */
  logDir: string;
  /** Echo children's raw log lines to the terminal too. */
  verbose: boolean;
}

/** Keeps a set of node processes alive until `stopAll`. */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, WriteStream>();
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {}

  /** The log file of the child with this label. */
  logFileOf(label: string): string {
    return join(this.options.logDir, `${label.replace(/[^A-Za-z0-9_.-]+/g, '-')}.log`);
  }

  /** Starts a child and restarts it with backoff whenever it exits on its own. */
  start(spec: ChildSpec, restarts = 0): void {
    const child = spawn(process.execPath, [spec.script, ...(spec.args ?? [])], {
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    routeChildOutput([child.stdout, child.stderr], {
      label: spec.label,
      logFile: this.logFor(spec),
      verbose: this.options.verbose,
      print: (line) => process.stderr.write(`${line}\n`),
      quiet: () => this.stopping,
    });
    this.children.set(spec.name, child);
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      this.children.delete(spec.name);
      if (this.stopping) return;
      // A child that ran a while earns a fresh backoff; one that dies at once backs off further.
      const attempt = Date.now() - startedAt > 60_000 ? 0 : restarts + 1;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempt - 1));
      this.options.report(`${spec.label} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000}s`);
      setTimeout(() => {
        if (!this.stopping) this.start(spec, attempt);
      }, delay).unref();
    });
  }

  /** Sends SIGTERM to every child and waits for them, with SIGKILL after `graceMs`; children named in `last` stop after the others. */
  async stopAll(graceMs: number, last: string[] = []): Promise<void> {
    this.stopping = true;
    const entries = [...this.children.entries()];
    // The database outlives its clients, so a worker's final metering write still lands.
    await Promise.all(entries.filter(([name]) => !last.includes(name)).map(([, child]) => stopChild(child, graceMs)));
    await Promise.all(entries.filter(([name]) => last.includes(name)).map(([, child]) => stopChild(child, graceMs)));
    for (const log of this.logs.values()) log.end();
  }

  /** One append stream per child, kept across its restarts. */
  private logFor(spec: ChildSpec): WriteStream {
    let log = this.logs.get(spec.name);
    if (!log) {
      mkdirSync(this.options.logDir, { recursive: true });
      log = createWriteStream(this.logFileOf(spec.label), { flags: 'a' });
      this.logs.set(spec.name, log);
    }
    return log;
  }
}
