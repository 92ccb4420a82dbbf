/** Installs the Temporal runtime of a worker process: JSON-lines logs and, optionally, Prometheus metrics. */
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../config/logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

const NOT_POLLING = /^No (workflows|activities) registered, not polling/;

/** Adapts a pino logger to the SDK's logger, naming the workflow id `runId` as every Capstan log line does. */
function temporalLoggerFor(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta: LogMetadata = {}): void => {
    // The SDK logs every activity at DEBUG: below the level, drop it before copying its metadata.
    if (!logger.isLevelEnabled(LEVELS[level]) && !(level === 'WARN' && NOT_POLLING.test(message))) return;
    const { workflowId, ...rest } = meta as LogMetadata & { workflowId?: string };
    // Capstan's workers are activity-only or workflow-only by design; the SDK's warning about it is no news.
    if (level === 'WARN' && NOT_POLLING.test(message)) level = 'INFO';
    logger[LEVELS[level]]({ ...(workflowId ? { runId: workflowId } : {}), ...rest }, message);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

/** Installs the runtime once per process; SIGINT and SIGTERM then shut every worker down gracefully. */
export function installWorkerRuntime(logger: Logger, metrics: { host: string; port?: number }): void {
  Runtime.install({
    logger: temporalLoggerFor(logger),
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions:
      metrics.port === undefined
        ? undefined
        : {
            metrics: { prometheus: { bindAddress: `${metrics.host}:${metrics.port}` } },
          },
  });
}
