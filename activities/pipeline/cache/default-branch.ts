/** The default branch of a repository, as its remote's HEAD names it: where a run also looks for caches. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How long an answer is reused: a default branch rarely changes, and each lookup is a round trip to the remote. */
const TTL_MS = 10 * 60 * 1000;
const known = new Map<string, { branch: string | undefined; at: number }>();

/** The branch HEAD points to at `cloneUrl` (a path or URL, as checkout takes it); undefined when it cannot be learnt. */
export async function defaultBranchOf(cloneUrl: string): Promise<string | undefined> {
  const cached = known.get(cloneUrl);
  if (cached && Date.now() - cached.at < TTL_MS) return cached.branch;
  let branch: string | undefined;
  try {
    const { stdout } = await run('git', ['ls-remote', '--symref', '--', cloneUrl, 'HEAD'], {
      timeout: 30_000,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    branch = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(stdout)?.[1];
  } catch {
    // An unreachable remote only costs the fallback scope; the run's own branch is still read.
    branch = undefined;
  }
  known.set(cloneUrl, { branch, at: Date.now() });
  return branch;
}
