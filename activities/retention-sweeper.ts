/** A periodic retention sweep (artifacts, task logs): once at start, then on an interval, never two at once. */
import type { Logger } from '../config/logger';

/** What a sweeper removes and how. */
export interface RetentionSweep {
  /** How log lines name it: `artifacts`, `task logs`. */
  what: string;
  /** Days kept; 0 keeps everything (no sweeps). */
  retentionDays: number;
  intervalMs: number;
  logger: Logger;
  /** Removes what was stored before `cutoff`; resolves to how many went. */
  removeOlderThan(cutoff: Date): Promise<number>;
  /** Extra fields of the log lines (where the store is). */
  context?: Record<string, unknown>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Starts the sweeps; returns the function that stops them. */
export function startRetentionSweeper(sweep: RetentionSweep): () => void {
  if (sweep.retentionDays === 0) return () => undefined;
  const { logger, what, retentionDays } = sweep;
  let running = false;
  const once = (): void => {
    // A sweep of a big store may outlast the interval; two at once would only race each other.
    if (running) return;
    running = true;
    sweep
      .removeOlderThan(new Date(Date.now() - retentionDays * DAY_MS))
      .then(
        (removed) => {
          if (removed > 0)
            logger.info({ removed, retentionDays, ...sweep.context }, `${what}: removed expired ${what}`);
        },
        (err: Error) =>
          logger.warn({ err: err.message, ...sweep.context }, `${what} retention sweep failed; will try again`),
      )
      .finally(() => {
        running = false;
      });
  };
  once();
  const timer = setInterval(once, sweep.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
