/** Git for fixture repositories in tests: the real `git`, with a fixed author so commits need no user config. */
import { execFileSync } from 'node:child_process';

/** Runs `git -C repo ...args` and returns its trimmed output. */
export function gitIn(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'capstan-test',
      GIT_AUTHOR_EMAIL: 'test@capstan.invalid',
      GIT_COMMITTER_NAME: 'capstan-test',
      GIT_COMMITTER_EMAIL: 'test@capstan.invalid',
    },
  }).trim();
}
