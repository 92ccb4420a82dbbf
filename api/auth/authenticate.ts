/** Bearer-token authentication and per-token rate limiting for every path that needs a token. */
import type { Request, RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import type { Logger } from '../../config/logger';
import { ApiError } from '../errors';
import { withDatabase } from './database-errors';
import { needsToken } from './policy';
import { actAs, type Principal } from './principal';
import { FailedAuthThrottle } from './failed-auth-throttle';
import { RateLimiter, type RateLimit } from './rate-limiter';
import { parseBearer } from './bearer';
import { findTokenBySecret, tokenStatus, touchToken } from '../../db/stores/token-store';

/** `last_used_at` is written at most this often per token, so it costs no write per request. */
const TOUCH_INTERVAL_MS = 60_000;

function unauthorized(res: Response, message: string, invalidToken: boolean): ApiError {
  // RFC 6750: a 401 names the scheme, and says invalid_token when a token was sent but is no good.
  res.setHeader('WWW-Authenticate', `Bearer realm="capstan"${invalidToken ? ', error="invalid_token"' : ''}`);
  return new ApiError(401, 'unauthorized', message, [{ field: 'Authorization', message }]);
}

function tooManyFailures(res: Response, retryAfterSeconds: number): ApiError {
  res.setHeader('Retry-After', String(retryAfterSeconds));
  const message = `too many requests with an unknown, revoked or expired token from this address; retry in ${retryAfterSeconds} s`;
  return new ApiError(429, 'too_many_failed_authentications', message, [{ field: 'Authorization', message }]);
}

/** The principal `authenticate` found for this request; undefined on open paths. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/**
 * Checks `Authorization: Bearer <token>` against the stored hashes (401 when missing, malformed,
 * unknown, revoked or expired; 429 before the lookup for an address that failed too often), then takes one request from the token's bucket (429 when empty),
 * and runs the rest of the request as the token's principal.
 */
export function authenticate(db: Pool, limit: RateLimit, logger: Logger): RequestHandler {
  const limiter = new RateLimiter(limit);
  const failures = new FailedAuthThrottle();
  const touched = new Map<string, number>();
  return async (req: Request, res: Response, next) => {
    if (!needsToken(req.path)) return next();
    const credentials = parseBearer(req.get('authorization'));
    if (credentials.kind === 'none')
      throw unauthorized(res, 'this route needs a token: send Authorization: Bearer <token>', false);
    if (credentials.kind === 'malformed')
      throw unauthorized(res, 'the Authorization header is not "Bearer <token>"', false);
    const address = req.socket.remoteAddress ?? 'unknown';
    const admitted = failures.admit(address, credentials.token);
    if (!admitted.allowed) throw tooManyFailures(res, admitted.retryAfterSeconds);
    const token = await withDatabase('checking the token', () => findTokenBySecret(db, credentials.token));
    const status = token ? tokenStatus(token) : 'unknown';
    if (!token || status !== 'active') failures.failed(address);
    else failures.succeeded(credentials.token);
    if (!token) throw unauthorized(res, 'the token is not known', true);
    if (status === 'revoked')
      throw unauthorized(res, `token ${token.id} was revoked at ${token.revokedAt!.toISOString()}`, true);
    if (status === 'expired')
      throw unauthorized(res, `token ${token.id} expired at ${token.expiresAt!.toISOString()}`, true);
    const decision = limiter.take(token.id);
    if (!decision.allowed) {
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      throw new ApiError(
        429,
        'rate_limited',
        `token ${token.id} is over its limit of ${limit.ratePerSecond} requests per second (burst ${limit.burst}); retry in ${decision.retryAfterSeconds} s`,
      );
    }
    const now = Date.now();
    if (now - (touched.get(token.id) ?? 0) >= TOUCH_INTERVAL_MS) {
      touched.set(token.id, now);
      // Not awaited: when a token was last used is worth a background write, not a slower request.
      touchToken(db, token.id).catch((err: unknown) =>
        logger.warn({ err: (err as Error).message, tokenId: token.id }, 'could not record token use'),
      );
    }
    const principal: Principal = { name: token.principal, tokenId: token.id, role: token.role };
    res.locals.principal = principal;
    actAs(principal, next);
  };
}
