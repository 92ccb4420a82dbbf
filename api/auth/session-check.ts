/** Authenticating a request by its session cookie: the session and its token checked in one query, then the CSRF defences. */
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { findSessionBySecret, looksLikeSessionSecret, type SessionRecord } from '../../db/stores/session-store';
import { refuseCrossSite, requireCsrfToken } from './cross-site';
import { withDatabase } from './database-errors';
import { isStateChanging } from './policy';
import { clearSessionCookie, SESSION_COOKIE } from './session-cookie';
import { throttled, unauthorized, type AuthGuard } from './token-check';

/** The field a session's failures name. */
const FIELD = `Cookie ${SESSION_COOKIE}`;

/**
 * The live session whose secret the cookie holds. A state change is first refused when it comes
 * from another site (before any lookup), then needs the session's CSRF token. A session that is
 * unknown, expired, or whose token was revoked or expired is a 401 that also clears the cookie.
 */
export async function checkSession(
  db: Pool,
  guard: AuthGuard,
  req: Request,
  res: Response,
  secret: string,
  secureCookie: boolean,
): Promise<SessionRecord> {
  const changing = isStateChanging(req.method);
  if (changing) refuseCrossSite(req);
  const refuse = (message: string) => {
    clearSessionCookie(req, res, secureCookie);
    return unauthorized(res, `${message}; sign in again (POST /v1/session)`, true, FIELD);
  };
  if (!looksLikeSessionSecret(secret)) throw refuse('the session cookie is not one this API set');
  const found = await throttled(guard, req, res, secret, FIELD, async () => {
    const session = await withDatabase('checking the session', () => findSessionBySecret(db, secret));
    return { usable: session?.status === 'active', value: session };
  });
  if (!found) throw refuse('the session is not known (signed out, or never signed in here)');
  const { session } = found;
  if (found.status === 'token_revoked')
    throw refuse(`the session's token ${session.tokenId} was revoked at ${found.tokenRevokedAt!.toISOString()}`);
  if (found.status === 'token_expired')
    throw refuse(`the session's token ${session.tokenId} expired at ${found.tokenExpiresAt!.toISOString()}`);
  if (found.status === 'expired') throw refuse(`the session expired at ${session.expiresAt.toISOString()}`);
  if (changing) requireCsrfToken(req, session.csrfToken);
  return session;
}
