/** Capstan's database being unreachable, in the API's words: 503 `database_unavailable`. */
import { isConnectionError } from '../../db/pool';
import { ApiError } from '../errors';

/** True when `err` means the database cannot be used now: unreachable, restarting, or the database itself gone. */
function isDatabaseUnavailable(err: unknown): boolean {
  // 3D000: the database does not exist (dropped under a running API); no query can succeed until it is back.
  return isConnectionError(err) || (err as { code?: string } | undefined)?.code === '3D000';
}

/** Runs a database call; an unreachable database becomes a 503 that says nothing was done, other errors pass through. */
export async function withDatabase<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isDatabaseUnavailable(err)) {
      throw new ApiError(
        503,
        'database_unavailable',
        `Capstan's database is not reachable (${what}); nothing was done, try again later`,
      );
    }
    throw err;
  }
}
