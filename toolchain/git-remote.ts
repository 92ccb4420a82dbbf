/**
 * Reading a repository's remote with the real `git`, for the API and the workers alike: what its
 * HEAD points at (the default branch and its head), and one file at one commit.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A remote that answers nothing within this long is given up on, so no request or activity hangs on it. */
export const GIT_TIMEOUT_MS = 60_000;

/** Runs git without a terminal prompt (a remote asking for a password fails at once) and with a timeout. */
export async function git(args: string[], maxBuffer = 8 * 1024 * 1024): Promise<string> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  return (await run('git', args, { env, maxBuffer, timeout: GIT_TIMEOUT_MS })).stdout;
}

/** The default branch (what the remote's HEAD points at) and its head commit; undefined for an empty repository. */
export async function remoteDefaultHead(cloneUrl: string): Promise<{ branch: string; sha: string } | undefined> {
  const stdout = await git(['ls-remote', '--symref', cloneUrl, 'HEAD']);
  const branch = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(stdout)?.[1];
  const sha = /^([0-9a-f]{40}(?:[0-9a-f]{24})?)\tHEAD$/m.exec(stdout)?.[1];
  return branch && sha ? { branch, sha } : undefined;
}

/** Runs `work` with a throwaway bare repository, removed afterwards. */
export async function withScratchRepository<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-git-'));
  try {
    await git(['-C', dir, 'init', '--quiet', '--bare']);
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The text of `path` at commit `sha` of `cloneUrl`, or undefined when that commit has no such file. */
export function fileAtCommit(cloneUrl: string, sha: string, path: string): Promise<string | undefined> {
  return withScratchRepository(async (dir) => {
    await git(['-C', dir, 'fetch', '--quiet', '--depth=1', cloneUrl, sha]);
    return git(['-C', dir, 'show', `${sha}:${path}`]).catch(() => undefined);
  });
}
