/** Polling waits for tests that watch files a task writes. */
import { existsSync } from 'node:fs';

/** Resolves once `check()` is true; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves once `path` exists (a task has started and touched it). */
export function waitForFile(path: string, what = `file ${path}`): Promise<void> {
  return waitFor(() => existsSync(path), what);
}
