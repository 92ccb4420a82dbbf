/** PostgreSQL connection pools for Capstan's own records. */
import { Pool } from 'pg';

/** What a pool reports when an idle connection dies (a restarted server); the next query reconnects. */
export type PoolErrorListener = (err: Error) => void;

/** A pool on `url`; a connection that drops while idle is reported, not fatal, so a database restart is survived. */
export function createPool(url: string, onIdleError: PoolErrorListener, max = 10): Pool {
  const pool = new Pool({
    connectionString: url,
    max,
    // Fail a query fast when the server is down instead of queueing it forever; callers retry.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'capstan',
  });
  pool.on('error', onIdleError);
  return pool;
}

/** Errors that mean "the database is not reachable right now", worth retrying. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  const message = err instanceof Error ? err.message : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006'].includes(
      code,
    ) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      message,
    )
  );
}
