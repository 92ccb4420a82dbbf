/** The checkout step: the run's commit of its repository, cloned into the job workspace with the real `git`. */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { StepLog } from './step-log';

const run = promisify(execFile);

/** Fetches exactly `sha` from `cloneUrl` (a local path or a remote URL) into `dir` and checks it out detached. */
export async function checkoutCommit(cloneUrl: string, sha: string, dir: string, log: StepLog): Promise<void> {
  await mkdir(dir, { recursive: true });
  const git = async (...args: string[]): Promise<void> => {
    log.write(`$ git ${args.join(' ')}\n`);
    const { stdout, stderr } = await run('git', args, {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    log.write(stdout);
    log.write(stderr);
  };
  // init + fetch of one commit works for any commit (not only branch tips) and for a directory that already has files.
  await git('init', '--quiet');
  await git('fetch', '--quiet', '--depth=1', cloneUrl, sha);
  await git('-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--force', 'FETCH_HEAD');
  await git('log', '-1', '--format=checked out %H (%s)');
}
