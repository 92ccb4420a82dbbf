/** Authentication (a bearer token, or a console session's cookie) and per-token rate limiting for every path that needs a token. */
import type { Request, RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import type { Logger } from '../../config/logger';
import type { SessionRecord } from '../../db/stores/session-store';
import { touchSession } from '../../db/stores/session-store';
import { touchToken } from '../../db/stores/token-store';
import { parseBearer } from './bearer';
import { needsToken } from './policy';
import { actAs, type Principal } from './principal';
import { checkSession } from './session-check';
import { sessionSecretOf } from './session-cookie';
import { checkTokenSecret, takeRequest, unauthorized, type AuthGuard } from './token-check';

/** `last_used_at` and `last_seen_at` are written at most this often per token or session, so they cost no write per request. */
const TOUCH_INTERVAL_MS = 60_000;

/** Most ids remembered as recently touched; past it the memory starts over (costing one extra write per id). */
const MAX_TOUCHED = 10_000;

/** The principal `authenticate` found for this request; undefined on open paths. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/** The console session this request was authenticated by; undefined for a bearer token or an open path. */
export function sessionOf(res: Response): SessionRecord | undefined {
  return res.locals.session as SessionRecord | undefined;
}

/** What `authenticate` needs besides the database: the guard it shares with sign-in, and how session cookies are set. */
export interface AuthenticateOptions {
  guard: AuthGuard;
  /** Mark a cleared session cookie Secure whatever the request's scheme (as it was set). */
  secureCookie: boolean;
}

/**
 * Reads `Authorization: Bearer <token>`, or, when there is no such header, the `capstan_session`
 * cookie (whose state changes must pass the CSRF defences), and checks it against the stored hashes
 * (401 when missing, malformed, unknown, revoked or expired; 429 before the lookup for an address
 * that failed too often). Then it takes one request from the token's bucket (429 when empty), and
 * runs the rest of the request as the token's principal.
 */
export function authenticate(db: Pool, options: AuthenticateOptions, logger: Logger): RequestHandler {
  const { guard, secureCookie } = options;
  const touched = new Map<string, number>();
  const touch = (key: string, write: () => Promise<void>, context: Record<string, string>): void => {
    const now = Date.now();
    if (now - (touched.get(key) ?? 0) < TOUCH_INTERVAL_MS) return;
    if (touched.size >= MAX_TOUCHED) touched.clear();
    touched.set(key, now);
    // Not awaited: when a token was last used is worth a background write, not a slower request.
    write().catch((err: unknown) => logger.warn({ err: (err as Error).message, ...context }, 'could not record a use'));
  };
  return async (req: Request, res: Response, next) => {
    if (!needsToken(req.path, req.method)) return next();
    const credentials = parseBearer(req.get('authorization'));
    let principal: Principal;
    let session: SessionRecord | undefined;
    if (credentials.kind === 'none') {
      const secret = sessionSecretOf(req);
      if (secret === undefined)
        throw unauthorized(
          res,
          'this route needs a token: send Authorization: Bearer <token>, or sign in with POST /v1/session',
          false,
          'Authorization',
        );
      session = await checkSession(db, guard, req, res, secret, secureCookie);
      res.locals.session = session;
      // Answers to a cookie may differ per browser; no shared cache may keep one for another.
      res.setHeader('Cache-Control', 'private');
      res.vary('Cookie');
      principal = { name: session.principal, tokenId: session.tokenId, role: session.role };
    } else {
      if (credentials.kind === 'malformed')
        throw unauthorized(res, 'the Authorization header is not "Bearer <token>"', false, 'Authorization');
      const token = await checkTokenSecret(db, guard, req, res, credentials.token, 'Authorization');
      principal = { name: token.principal, tokenId: token.id, role: token.role };
    }
    await takeRequest(guard, res, principal.tokenId);
    touch(principal.tokenId, () => touchToken(db, principal.tokenId), { tokenId: principal.tokenId });
    const sessionId = session?.id;
    if (sessionId) touch(`session:${sessionId}`, () => touchSession(db, sessionId), { sessionId });
    res.locals.principal = principal;
    actAs(principal, next);
  };
}
