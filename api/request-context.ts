/** Request ids and one structured log line per request, with the run id when the request concerns a run. */
import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../config/logger';

/** Assigns `res.locals.requestId` (from X-Request-Id when sane) and logs the request when it finishes. */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const runId = res.locals.runId as string | undefined;
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.originalUrl,
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          ...(runId ? { runId } : {}),
        },
        'request',
      );
    });
    next();
  };
}
