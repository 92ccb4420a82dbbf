/** A Capstan node process (API, orchestrator, node-class worker) the chaos run starts, kills and starts again. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { stopChild } from '../cli/stop-child';

const DIST = join(__dirname, '..');

/** One supervised-by-the-driver process. */
export interface NodeProcess {
  process(): ChildProcess | undefined;
  /** Starts it (again) with the same script and environment. */
  start(): void;
  /** SIGTERM, SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** A process running `dist/<script>` with `env`, its output appended to `logFile`. */
export function nodeProcess(script: string, env: NodeJS.ProcessEnv, logFile: string): NodeProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  let child: ChildProcess | undefined;
  return {
    process: () => child,
    start: () => {
      child = spawn(process.execPath, [join(DIST, script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
    },
    stop: async (graceMs) => {
      if (child) await stopChild(child, graceMs);
      log.end();
    },
  };
}

/** Resolves once `url`/readyz answers ready, or rejects after `timeoutMs`. */
export async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
