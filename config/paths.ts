/** Where Capstan's files are: the clone, its data directory, and the per-user cache outside the clone. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Root of the Capstan checkout; compiled code always runs from `dist/config`. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Per-user cache for downloaded or built binaries, shared by every clone. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'capstan');
}
