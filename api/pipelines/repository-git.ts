/** The files a push or a pull request changed, read with the real `git` from the repository's clone URL. */
import { git, remoteDefaultHead, withScratchRepository } from '../../toolchain/git-remote';

/** What to compare a commit with: the commit it replaced on its branch, or the branch it will merge into. */
export type ChangeBase = { before: string } | { baseRef: string };

/**
 * The files `head` changed, with GitHub's comparisons: a push to an existing branch (forced or not)
 * against the commit it replaced (`before..after`, two trees); a new branch, or a push whose old
 * commit is gone, against its fork point from the default branch; a pull request against its fork
 * point from the base branch (a three-dot diff). A commit with no fork point counts all its files.
 * Renames count as the old path and the new.
 */
export function changedFiles(cloneUrl: string, head: string, base: ChangeBase): Promise<string[]> {
  return withScratchRepository(async (dir) => {
    const inRepo = (...args: string[]) => git(['-C', dir, ...args], 64 * 1024 * 1024);
    const names = (text: string) => text.split('\0').filter((name) => name !== '');
    if ('before' in base) {
      const fetched = await inRepo('fetch', '--quiet', '--depth=1', cloneUrl, base.before, head).then(
        () => true,
        () => false,
      );
      if (fetched) return names(await inRepo('diff', '--name-only', '--no-renames', '-z', base.before, head));
    }
    const baseRef =
      'baseRef' in base ? base.baseRef : `refs/heads/${(await remoteDefaultHead(cloneUrl))?.branch ?? 'HEAD'}`;
    // Without blobs (where the remote allows it): only trees and history are needed to list names.
    await inRepo('fetch', '--quiet', '--filter=blob:none', cloneUrl, head);
    const forkPoint = await inRepo('fetch', '--quiet', '--filter=blob:none', cloneUrl, `+${baseRef}:refs/capstan/base`)
      .then(() => inRepo('merge-base', head, 'refs/capstan/base'))
      .then(
        (sha) => sha.trim(),
        () => undefined,
      );
    if (forkPoint === undefined) return names(await inRepo('ls-tree', '-r', '-z', '--name-only', head));
    return names(await inRepo('diff', '--name-only', '--no-renames', '-z', forkPoint, head));
  });
}
