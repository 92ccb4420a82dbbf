/** The version of Capstan this process runs: the package version, and the git commit of the checkout when known. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';

let cached: string | undefined;

/**
 * `0.1.0+<12-digit commit>` in a git checkout, `0.1.0` elsewhere (an image built without .git); read once per
 * process, so a checkout that moves under a running worker does not change what it says it runs.
 */
export function buildVersion(): string {
  if (cached !== undefined) return cached;
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string };
  const version = pkg.version ?? 'unknown';
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
  } catch {
    // No git, or not a checkout: the package version alone.
  }
  cached = commit ? `${version}+${commit}` : version;
  return cached;
}
