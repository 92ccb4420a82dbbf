/** `GET /v1/audit` (admin only): the audit log, newest first, filtered and paged. */
import { Router } from 'express';
import { listAudit } from '../../db/stores/audit-store';
import { requireRole } from '../auth/authorize';
import { withDatabase } from '../auth/database-errors';
import { AuditQuerySchema } from '../auth/schemas';
import type { ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';

/** Routes that read the audit log. */
export function auditRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/audit', requireRole('admin'), async (req, res) => {
    const query = parseOr400(AuditQuerySchema, req.query, 'query', 'query');
    const page = await withDatabase('reading the audit log', () =>
      listAudit(deps.db, {
        principal: query.principal,
        action: query.action,
        target: query.target,
        since: query.since === undefined ? undefined : new Date(query.since),
        until: query.until === undefined ? undefined : new Date(query.until),
        limit: query.limit,
        before: query.cursor,
      }),
    );
    res.json({ entries: page.entries, nextCursor: page.nextBefore });
  });
  return router;
}
