/**
 * The console's session: `POST /v1/session` exchanges a token (in the body) for a session cookie,
 * `GET` reads the session, `DELETE` signs out. The session acts as its token: same principal, role
 * and rate limit, and it stops working the moment the token is revoked or expires.
 */
import { Router, type Request, type Response } from 'express';
import type { Logger } from '../../config/logger';
import {
  createSession,
  deleteEndedSessions,
  deleteSessionBySecret,
  type SessionRecord,
} from '../../db/stores/session-store';
import { auditRequest } from '../auth/audit';
import { sessionOf } from '../auth/authenticate';
import { refuseCrossSite } from '../auth/cross-site';
import { withDatabase } from '../auth/database-errors';
import { SignInBodySchema } from '../auth/schemas';
import { clearSessionCookie, SESSION_COOKIE, sessionSecretOf, setSessionCookie } from '../auth/session-cookie';
import { checkTokenSecret, takeRequest, unauthorized, type AuthGuard } from '../auth/token-check';
import { ApiError } from '../errors';
import { jsonBody } from '../input/body-parsers';
import { DEFAULT_SESSION_SETTINGS, type ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';

/** A sign-in body holds one token: a few hundred bytes at most. */
const SIGN_IN_MAX_BYTES = 4096;

/** A session as the API shows it; the CSRF token is for the page that signed in, which no other site can read. */
function sessionView(session: SessionRecord): Record<string, unknown> {
  return {
    principal: session.principal,
    role: session.role,
    tokenId: session.tokenId,
    expiresAt: session.expiresAt.toISOString(),
    csrfToken: session.csrfToken,
  };
}

/** Refuses a query string on sign-in: a token in a URL ends up in logs, history and Referer headers. */
function refuseQuery(req: Request): void {
  if (!req.originalUrl.includes('?')) return;
  const message = 'POST /v1/session takes no query string: send the token in the JSON body, never in a URL';
  throw new ApiError(400, 'invalid_request', message, [{ field: 'query', message }]);
}

/** Routes of the console's session. */
export function sessionRoutes(deps: ApiDeps, guard: AuthGuard, logger: Logger): Router {
  const settings = deps.session ?? DEFAULT_SESSION_SETTINGS;
  const router = Router();
  router.post(
    '/v1/session',
    (req, _res, next) => {
      // Before the body is read: a page of another site must not sign a browser in (login CSRF).
      refuseQuery(req);
      refuseCrossSite(req, 'a sign-in');
      next();
    },
    jsonBody({ limit: SIGN_IN_MAX_BYTES }),
    async (req, res) => {
      // JSON only: a cross-site HTML form can send urlencoded or text/plain, never application/json.
      if (!req.is('application/json')) {
        throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json', [
          { field: 'Content-Type', message: 'must be application/json' },
        ]);
      }
      const { token: secret } = parseOr400(SignInBodySchema, req.body, 'sign-in request');
      const token = await checkTokenSecret(deps.db, guard, req, res, secret, 'token');
      await takeRequest(guard, res, token.id);
      await auditRequest(deps.db, logger, req, res, { name: token.principal, tokenId: token.id, role: token.role });
      // Signing in again replaces the session this browser had, so no second one lingers.
      const previous = sessionSecretOf(req);
      if (previous !== undefined)
        await withDatabase('ending the previous session', () => deleteSessionBySecret(deps.db, previous));
      // Sessions that can no longer be used are removed here, at the rate people sign in.
      deleteEndedSessions(deps.db).catch((err: unknown) =>
        logger.warn({ err: (err as Error).message }, 'could not remove ended sessions'),
      );
      const created = await withDatabase('opening the session', () => createSession(deps.db, token.id, settings.hours));
      // Only if the token row vanished between the two queries; tokens are revoked, never deleted.
      if (!created) throw unauthorized(res, 'the token is not known', true, 'token');
      res.locals.auditTarget = created.record.id;
      setSessionCookie(req, res, created.secret, created.record.expiresAt, settings.secureCookie);
      res.setHeader('Cache-Control', 'no-store');
      res.json(sessionView(created.record));
    },
  );
  router.get('/v1/session', (_req, res) => {
    const session = sessionOf(res);
    if (!session) throw noSession(res);
    res.setHeader('Cache-Control', 'no-store');
    res.json(sessionView(session));
  });
  router.delete('/v1/session', async (req, res) => {
    const secret = sessionSecretOf(req);
    if (secret !== undefined) {
      const ended = await withDatabase('ending the session', () => deleteSessionBySecret(deps.db, secret));
      if (ended) res.locals.auditTarget = ended;
    }
    clearSessionCookie(req, res, settings.secureCookie);
    res.status(204).end();
  });
  return router;
}

/** The answer of `GET /v1/session` to a request authenticated by a bearer token rather than a session. */
function noSession(res: Response): ApiError {
  return unauthorized(
    res,
    `no session: this request was authenticated by its Authorization header, not a ${SESSION_COOKIE} cookie`,
    false,
    `Cookie ${SESSION_COOKIE}`,
  );
}
