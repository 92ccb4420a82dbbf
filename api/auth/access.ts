/** The access chain every request passes before the routes: authenticate, audit, authorize. */
import type { RequestHandler } from 'express';
import type { Logger } from '../../config/logger';
import { DEFAULT_SESSION_SETTINGS, type ApiDeps } from '../services/deps';
import { auditRequests } from './audit';
import { authenticate } from './authenticate';
import { authorize } from './authorize';
import { createAuthGuard, type AuthGuard } from './token-check';

/**
 * Authentication, the CSRF defences of session cookies and the rate limit come first, so an
 * unknown, forged or flooding request writes nothing; the audit row comes before the role check, so
 * a known principal's refused attempt (403) is on record too; the handler runs only after all three.
 * `guard` is shared with the sign-in route, so its failures and requests count against the same limits.
 */
export function apiAccess(
  deps: ApiDeps,
  logger: Logger,
  guard: AuthGuard = createAuthGuard(deps.auth, deps.db, deps.auth.store, deps.caches?.tokenMs),
): RequestHandler[] {
  const secureCookie = (deps.session ?? DEFAULT_SESSION_SETTINGS).secureCookie;
  return [authenticate(deps.db, { guard, secureCookie }, logger), auditRequests(deps.db, logger), authorize()];
}
