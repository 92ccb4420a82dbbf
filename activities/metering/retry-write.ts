/** Retrying a database write with capped backoff while the database is unreachable. */
import { isConnectionError } from '../../db/pool';

/** When to give up and whom to tell about each failure. */
export interface RetryWriteOptions {
  /** Give up after this long (default: never). */
  deadlineMs?: number;
  /** Give up once this is aborted. */
  signal?: AbortSignal;
  onError(err: Error): void;
}

/** Runs `write` until it succeeds; only connection errors are retried, any other error is thrown at once. */
export async function retryWrite(write: () => Promise<void>, options: RetryWriteOptions): Promise<void> {
  const deadline = options.deadlineMs === undefined ? Infinity : Date.now() + options.deadlineMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await write();
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      options.onError(err as Error);
      if (Date.now() + delay > deadline || options.signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
