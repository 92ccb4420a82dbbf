/** The baseline's activities: a no-op, and the same command a Capstan light task runs, spawned the plain way. */
import { spawn } from 'node:child_process';

/** Returns at once; the no-op every baseline task runs. */
export async function noop(): Promise<void> {
  // Intentionally empty: any work here would be counted as orchestration overhead.
}

/**
 * Runs `command` with `/bin/sh -c` and resolves when it exits 0: what any Temporal activity that runs a
 * command must do at least, so a baseline with it shows how much of Capstan's cost is running a process.
 */
export function runCommand(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`"${command}" ended with ${signal ?? `exit ${code}`}`)),
    );
  });
}
