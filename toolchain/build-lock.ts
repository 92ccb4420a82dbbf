/**
 * One build at a time of a cached binary, across processes: `npm start`, its workers and the test
 * runner share a claim file next to the target, and a process that finds it held waits for that
 * build instead of starting a second one of its own.
 */
import { accessSync, constants, unlinkSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

/** What the claim file holds: who builds, since when. */
interface ClaimOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/** A held claim; `release` removes it (also done on process exit, so a stopped build leaves no claim behind). */
export interface BuildClaim {
  release(): Promise<void>;
}

/** The claim file for `target`. */
export function claimFileOf(target: string): string {
  return `${target}.building`;
}

/** Claims the build of `target`; undefined when another live process holds the claim. A dead holder's is taken over. */
export async function claimBuild(target: string): Promise<BuildClaim | undefined> {
  const file = claimFileOf(target);
  const owner: ClaimOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      await writeFile(file, JSON.stringify(owner), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!(await isStale(file))) return undefined;
      await rm(file, { force: true });
      continue;
    }
    const onExit = (): void => {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    };
    process.once('exit', onExit);
    return {
      release: async () => {
        process.removeListener('exit', onExit);
        await rm(file, { force: true });
      },
    };
  }
  return undefined;
}

/** How another process's build of `target` ended, as seen by a process that waited for it. */
export type OtherBuildOutcome = 'built' | 'abandoned';

/**
 * Waits while another process holds the claim: 'built' once `target` is there, 'abandoned' when its
 * holder died without one (the caller may claim it then); throws when the build ended without a binary
 * or `timeoutMs` passed.
 */
export async function waitForOtherBuild(target: string, timeoutMs: number, pollMs = 1000): Promise<OtherBuildOutcome> {
  const file = claimFileOf(target);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isExecutable(target)) return 'built';
    const owner = await readOwner(file);
    if (owner === null) {
      // The claim is gone: either the binary was renamed into place just before, or the build failed.
      if (isExecutable(target)) return 'built';
      throw new Error(`another process's build of ${target} ended without a binary (see that process's output)`);
    }
    if (await isStale(file)) return 'abandoned';
    if (Date.now() > deadline) {
      const minutes = Math.round(timeoutMs / 60_000);
      throw new Error(`process ${owner?.pid ?? '?'} has been building ${target} for over ${minutes} minutes`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Whether the finished binary is in place (it is renamed there whole, so existing means complete). */
function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Who holds the claim: null when there is no claim file, undefined when it cannot be read yet (being written). */
async function readOwner(file: string): Promise<ClaimOwner | null | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as ClaimOwner;
  } catch {
    return undefined;
  }
}

/** A claim whose holder ran on this machine and is no longer alive. */
async function isStale(file: string): Promise<boolean> {
  const owner = await readOwner(file);
  if (!owner || owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
