/**
 * This process's count of metered attempts (task attempts, pipeline steps) running now, kept by the metering
 * interceptor: the worker's health reports read it, so they need no database round trip and no ledger guesswork.
 */
let running = 0;

/** Metered attempts this process runs now. */
export function attemptsInFlight(): number {
  return running;
}

/** Counts one attempt for as long as `work` runs. */
export async function countInFlight<T>(work: () => Promise<T>): Promise<T> {
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
  }
}
