/** Stopping a child process the same way everywhere: SIGTERM, SIGKILL after a grace period, wait for exit. */
import type { ChildProcess } from 'node:child_process';

/** Resolves once `child` has exited; sends SIGKILL if SIGTERM did not end it within `graceMs`. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
