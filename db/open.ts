/** Opens Capstan's database at process start: waits for the server, then applies migrations. */
import type { Pool } from 'pg';
import type { Logger } from '../config/logger';
import { migrate } from './migrate';
import { createPool, isConnectionError } from './pool';

/** Connects to `url` (retrying while the server is still starting, up to `waitMs`) and brings the schema up to date. */
export async function openDatabase(url: string, logger: Logger, waitMs = 60_000): Promise<Pool> {
  const pool = createPool(url, (err) =>
    logger.warn({ err: err.message }, 'database connection dropped; the next query reconnects'),
  );
  const deadline = Date.now() + waitMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    try {
      const applied = await migrate(pool);
      if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
      return pool;
    } catch (err) {
      if (!isConnectionError(err) || Date.now() + delay > deadline) {
        await pool.end().catch(() => undefined);
        throw new Error(`database ${redactUrl(url)}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
