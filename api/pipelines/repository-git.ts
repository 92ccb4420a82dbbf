/**
 * What triggers need to know of a repository, read with the real `git` from its clone URL: its default
 * branch and that branch's head, and the files a push or a pull request changed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A remote that answers nothing within this long is given up on, so a delivery or a registration never hangs. */
const GIT_TIMEOUT_MS = 60_000;

function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0' };
}

/** The default branch (what the remote's HEAD points at) and its head commit; undefined for an empty repository. */
export async function defaultHead(cloneUrl: string): Promise<{ branch: string; sha: string } | undefined> {
  const { stdout } = await run('git', ['ls-remote', '--symref', cloneUrl, 'HEAD'], {
    env: gitEnv(),
    timeout: GIT_TIMEOUT_MS,
  });
  const branch = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(stdout)?.[1];
  const sha = /^([0-9a-f]{40}(?:[0-9a-f]{24})?)\tHEAD$/m.exec(stdout)?.[1];
  return branch && sha ? { branch, sha } : undefined;
}

/** What to compare a commit with: the commit it replaced on its branch, or the branch it will merge into. */
export type ChangeBase = { before: string } | { baseRef: string };

/**
 * The files `head` changed, with GitHub's comparisons: a push to an existing branch (forced or not)
 * against the commit it replaced (`before..after`, two trees); a new branch, or a push whose old
 * commit is gone, against its fork point from the default branch; a pull request against its fork
 * point from the base branch (a three-dot diff). A commit with no fork point counts all its files.
 * Renames count as the old path and the new.
 */
export async function changedFiles(cloneUrl: string, head: string, base: ChangeBase): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-changes-'));
  const git = async (...args: string[]) =>
    (
      await run('git', ['-C', dir, ...args], {
        maxBuffer: 64 * 1024 * 1024,
        env: gitEnv(),
        timeout: GIT_TIMEOUT_MS,
      })
    ).stdout;
  const names = (text: string) => text.split('\0').filter((name) => name !== '');
  try {
    await git('init', '--quiet', '--bare');
    if ('before' in base) {
      const fetched = await git('fetch', '--quiet', '--depth=1', cloneUrl, base.before, head).then(
        () => true,
        () => false,
      );
      if (fetched) return names(await git('diff', '--name-only', '--no-renames', '-z', base.before, head));
    }
    const baseRef = 'baseRef' in base ? base.baseRef : `refs/heads/${(await defaultHead(cloneUrl))?.branch ?? 'HEAD'}`;
    // Without blobs (where the remote allows it): only trees and history are needed to list names.
    await git('fetch', '--quiet', '--filter=blob:none', cloneUrl, head);
    const forkPoint = await git('fetch', '--quiet', '--filter=blob:none', cloneUrl, `+${baseRef}:refs/capstan/base`)
      .then(() => git('merge-base', head, 'refs/capstan/base'))
      .then(
        (sha) => sha.trim(),
        () => undefined,
      );
    if (forkPoint === undefined) return names(await git('ls-tree', '-r', '-z', '--name-only', head));
    return names(await git('diff', '--name-only', '--no-renames', '-z', forkPoint, head));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
