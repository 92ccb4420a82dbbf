/** The audit middleware: no state-changing request acts before its audit row is written. */
import type { Request, RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import type { Logger } from '../../config/logger';
import { auditAction } from './audit-actions';
import { beginAudit, completeAudit } from '../../db/stores/audit-store';
import { principalOf } from './authenticate';
import { withDatabase } from './database-errors';
import { isAudited } from './policy';
import { timed } from '../server-timing';
import type { Principal } from './principal';

/** Longest path kept in a row; a longer one is cut, not refused. */
const MAX_PATH_CHARS = 2048;

/**
 * Writes the audit row of a request `principal` is making, before it acts (503 and nothing done when
 * it cannot be written), and completes it with the status once the response is sent. The target is
 * the id the path names, else what the handler put in `res.locals.auditTarget` or `res.locals.runId`
 * (a run it started, a token it created). Sign-in calls it itself, once it knows who signs in.
 */
export async function auditRequest(
  db: Pool,
  logger: Logger,
  req: Request,
  res: Response,
  principal: Principal,
): Promise<void> {
  const { action, target } = auditAction(req.method, req.path);
  const id = await timed('audit', () =>
    withDatabase('writing the audit log', () =>
      beginAudit(db, {
        requestId: res.locals.requestId as string,
        principal: principal.name,
        tokenId: principal.tokenId,
        action,
        method: req.method,
        path: req.path.slice(0, MAX_PATH_CHARS),
        target,
      }),
    ),
  );
  let completed = false;
  const complete = (): void => {
    // A client that hung up before any answer leaves the row pending: what the handler did is not known here.
    if (completed || !res.headersSent) return;
    completed = true;
    const found = (res.locals.auditTarget ?? res.locals.runId) as string | undefined;
    completeAudit(db, id, res.statusCode, found).catch((err: unknown) =>
      logger.warn(
        { err: (err as Error).message, auditId: id, requestId: res.locals.requestId },
        'could not complete an audit row; it stays pending',
      ),
    );
  };
  res.once('finish', complete);
  res.once('close', complete);
}

/** For every authenticated request that may change state (isAudited), the audit row of `auditRequest` before the handler runs. */
export function auditRequests(db: Pool, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    const principal = principalOf(res);
    if (!principal || !isAudited(req.method, req.path)) return next();
    await auditRequest(db, logger, req, res, principal);
    next();
  };
}
