/** A node-class worker's health reports: one at start, then one per interval, and "stopped" on a clean shutdown. */
import type { Pool } from 'pg';
import type { Logger } from '../config/logger';
import { startRetentionSweeper } from '../activities/retention-sweeper';
import { markWorkerStopped, recordWorkerReport, removeWorkerReportsBefore } from '../db/stores/worker-reports';
import { readMachineFigures } from './machine-figures';

/** Who reports, how often, and where its figures come from. */
export interface HealthReportSettings {
  db: Pool;
  logger: Logger;
  identity: string;
  nodeClass: string;
  host: string;
  version: string;
  intervalMs: number;
  /** Hours of history kept (0 keeps all); every worker sweeps, as it does for artifacts and logs. */
  retentionHours: number;
  slots: number;
  workspaceDir: string;
  /** Attempts this process runs now. */
  runningAttempts: () => number;
}

/** Reporting under way: `stop` ends the reports and sweeps and marks the worker stopped. */
export interface HealthReports {
  stop(): Promise<void>;
}

/**
 * Sends the first report (awaited, so a worker is in the registry before it polls), then one per interval.
 * A failed report is logged and the next interval tries again: a database outage never stops the worker.
 */
export async function startHealthReports(settings: HealthReportSettings): Promise<HealthReports> {
  const { db, logger, identity } = settings;
  let inFlight: Promise<void> | undefined;
  const reportOnce = (): Promise<void> => {
    // A report slower than the interval (a stalled database) is not overtaken by the next one.
    inFlight ??= report(settings)
      .catch((err: unknown) =>
        logger.warn({ err: (err as Error).message, identity }, 'worker health report failed; will try again'),
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  await reportOnce();
  const timer = setInterval(() => void reportOnce(), settings.intervalMs);
  timer.unref();
  const stopSweeper = startRetentionSweeper({
    what: 'worker reports',
    retentionDays: settings.retentionHours / 24,
    intervalMs: 60 * 60 * 1000,
    logger,
    removeOlderThan: (cutoff) => removeWorkerReportsBefore(db, cutoff),
  });
  return {
    stop: async () => {
      clearInterval(timer);
      stopSweeper();
      await inFlight;
      await markWorkerStopped(db, identity).catch((err: unknown) =>
        logger.warn({ err: (err as Error).message, identity }, 'could not mark the worker stopped; it will show lost'),
      );
    },
  };
}

async function report(s: HealthReportSettings): Promise<void> {
  const figures = await readMachineFigures(s.workspaceDir);
  await recordWorkerReport(s.db, {
    identity: s.identity,
    nodeClass: s.nodeClass,
    host: s.host,
    version: s.version,
    intervalMs: s.intervalMs,
    ...figures,
    runningAttempts: s.runningAttempts(),
    slots: s.slots,
  });
}
