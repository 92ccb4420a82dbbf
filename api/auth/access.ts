/** The access chain every request passes before the routes: authenticate, audit, authorize. */
import type { RequestHandler } from 'express';
import type { Logger } from '../../config/logger';
import type { ApiDeps } from '../services/deps';
import { auditRequests } from './audit';
import { authenticate } from './authenticate';
import { authorize } from './authorize';

/**
 * Authentication and the rate limit come first, so an unknown or flooding caller writes nothing;
 * the audit row comes before the role check, so a known principal's refused attempt (403) is on
 * record too; the handler runs only after all three.
 */
export function apiAccess(deps: ApiDeps, logger: Logger): RequestHandler[] {
  return [authenticate(deps.db, deps.auth, logger), auditRequests(deps.db, logger), authorize()];
}
