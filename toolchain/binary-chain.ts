/**
 * Obtaining a binary Capstan needs (the Temporal and Pulumi CLIs): ways tried in order, a Go build
 * into the per-user cache with progress, and one error listing every way and why each failed.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { claimBuild, waitForOtherBuild } from './build-lock';
import { startProgress } from './progress';

/** One way of obtaining a binary. */
export interface BinaryWay<Source extends string> {
  source: Source;
  /** How the error names this way, e.g. "`temporal` on PATH". */
  label: string;
  /** The binary's path, undefined when this way has none; a throw is a failure the error reports. */
  find(): Promise<string | undefined> | string | undefined;
}

/** Tries each way in order; throws `makeError` with every way and each failure when none gives a binary. */
export async function firstBinary<Source extends string>(
  what: string,
  ways: BinaryWay<Source>[],
  fix: string,
  makeError: (message: string) => Error,
): Promise<{ path: string; source: Source }> {
  const reasons: string[] = [];
  for (const way of ways) {
    try {
      const path = await way.find();
      if (path) return { path, source: way.source };
    } catch (err) {
      reasons.push(`  - ${way.label}: ${(err as Error).message}`);
    }
  }
  throw makeError(
    [
      `Could not obtain ${what}. Tried, in order:`,
      ...ways.map((w, i) => `  ${i + 1}. ${w.label}`),
      ...reasons,
      fix,
    ].join('\n'),
  );
}

/** Builds a binary in `scratch`, calling `tick` per step of progress, and returns its path. */
export type BuildFn = (scratch: string, tick: () => void) => Promise<string>;

/** How long a process waits for another process's build of the same binary before giving up. */
const OTHER_BUILD_TIMEOUT_MS = 30 * 60_000;

/**
 * Runs `build(scratch)` in a scratch directory next to `target` and renames the file it returns into
 * place, so an interrupted build never leaves a half binary in the cache; progress is printed meanwhile.
 * When another process is already building `target`, waits for its binary instead of building a second one.
 */
export async function buildIntoCache(target: string, label: string, build: BuildFn): Promise<string> {
  await mkdir(dirname(target), { recursive: true });
  for (;;) {
    const claim = await claimBuild(target);
    if (claim) {
      try {
        // Built by another process between our look at the cache and the claim.
        if (isExecutable(target)) return target;
        return await buildClaimed(target, label, build);
      } finally {
        await claim.release();
      }
    }
    // Another process's build shows its own progress; one line a minute here is enough.
    const progress = startProgress(`waiting for ${target}, which another process is building`, 60_000);
    try {
      const outcome = await waitForOtherBuild(target, OTHER_BUILD_TIMEOUT_MS);
      progress.stop(outcome === 'built' ? `cached at ${target}` : 'that process died; building here');
      if (outcome === 'built') return target;
    } catch (err) {
      progress.stop('failed');
      throw err;
    }
  }
}

async function buildClaimed(target: string, label: string, build: BuildFn): Promise<string> {
  const scratch = await mkdtemp(join(dirname(target), 'build-'));
  const progress = startProgress(label);
  try {
    await rename(await build(scratch, progress.tick), target);
    progress.stop(`cached at ${target}`);
    return target;
  } catch (err) {
    progress.stop('failed');
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Runs the `go` tool; `-v` prints one line per compiled package, which ticks the progress counter. */
export function runGo(
  go: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
  tick: () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(go, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'ignore', 'pipe'] });
    // A stopped `npm start` must not leave a build running on its own (it would hold no claim any more).
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    let lastLines = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split('\n')) if (line && !line.startsWith('go: ')) tick();
      lastLines = (lastLines + text).slice(-2000);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`go ${args[0]} exited with ${code}: ${lastLines.trim()}`)),
    );
  });
}

/** The first executable named `name` on a PATH string. */
export function findOnPath(name: string, pathValue: string): string | undefined {
  return pathValue
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(isExecutable);
}

/** Whether `file` is a regular file this process may execute. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return existsSync(file) && statSync(file).isFile();
  } catch {
    return false;
  }
}
