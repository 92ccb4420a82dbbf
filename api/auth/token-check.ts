/** Checking a token secret, shared by bearer requests and sign-in: throttled, looked up, and held to its bucket. */
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { findTokenBySecret, tokenStatus, type TokenRecord } from '../../db/stores/token-store';
import { ApiError } from '../errors';
import { timed } from '../server-timing';
import { withDatabase } from './database-errors';
import { FailedAuthThrottle } from './failed-auth-throttle';
import type { RateLimit } from './rate-limiter';
import { createRequestLimiter, type RateLimitStore, type RequestLimiter } from './request-limiter';
import { TokenCache } from './token-cache';

/** What one API process keeps to guard its door: the per-token buckets, the failed-authentication counts, the tokens found lately. */
export interface AuthGuard {
  limit: RateLimit;
  limiter: RequestLimiter;
  failures: FailedAuthThrottle;
  tokens: TokenCache;
}

/** A guard with empty counts and buckets (in `store`); one per app, shared by the access chain and the sign-in route. */
export function createAuthGuard(
  limit: RateLimit,
  db: Pool,
  store: RateLimitStore = 'memory',
  tokenCacheMs?: number,
): AuthGuard {
  return {
    limit,
    limiter: createRequestLimiter(limit, store, db),
    failures: new FailedAuthThrottle(),
    tokens: new TokenCache(tokenCacheMs),
  };
}

/** A 401 naming `field` (the header, cookie or body field that carried the credential). */
export function unauthorized(res: Response, message: string, invalidToken: boolean, field: string): ApiError {
  // RFC 6750: a 401 names the scheme, and says invalid_token when a token was sent but is no good.
  res.setHeader('WWW-Authenticate', `Bearer realm="capstan"${invalidToken ? ', error="invalid_token"' : ''}`);
  return new ApiError(401, 'unauthorized', message, [{ field, message }]);
}

/** The address failed authentications are counted against. */
export function clientAddress(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Refuses (429) before any lookup an address that has failed too often with a secret not seen valid;
 * then runs `lookup`, and counts a failure for the address when it found nothing usable.
 */
export async function throttled<T>(
  guard: AuthGuard,
  req: Request,
  res: Response,
  secret: string,
  field: string,
  lookup: () => Promise<{ usable: boolean; value: T }>,
): Promise<T> {
  const address = clientAddress(req);
  const admitted = guard.failures.admit(address, secret);
  if (!admitted.allowed) {
    res.setHeader('Retry-After', String(admitted.retryAfterSeconds));
    const message = `too many requests with an unknown, revoked or expired token or session from this address; retry in ${admitted.retryAfterSeconds} s`;
    throw new ApiError(429, 'too_many_failed_authentications', message, [{ field, message }]);
  }
  const { usable, value } = await lookup();
  if (usable) guard.failures.succeeded(secret);
  else guard.failures.failed(address);
  return value;
}

/** The active token whose secret this is; 401 naming `field` when it is unknown, revoked or expired (429 when throttled). */
export async function checkTokenSecret(
  db: Pool,
  guard: AuthGuard,
  req: Request,
  res: Response,
  secret: string,
  field: string,
): Promise<TokenRecord> {
  // A token found active within the last moments needs no lookup; revocation through this process forgets it (token-cache.ts).
  const cached = guard.tokens.get(secret);
  if (cached) return cached;
  const epoch = guard.tokens.epoch();
  const token = await throttled(guard, req, res, secret, field, async () => {
    const found = await timed('token', () => withDatabase('checking the token', () => findTokenBySecret(db, secret)));
    return { usable: found !== undefined && tokenStatus(found) === 'active', value: found };
  });
  if (!token) throw unauthorized(res, 'the token is not known', true, field);
  const status = tokenStatus(token);
  if (status === 'revoked')
    throw unauthorized(res, `token ${token.id} was revoked at ${token.revokedAt!.toISOString()}`, true, field);
  if (status === 'expired')
    throw unauthorized(res, `token ${token.id} expired at ${token.expiresAt!.toISOString()}`, true, field);
  guard.tokens.remember(secret, token, epoch);
  return token;
}

/** Takes one request from the token's bucket; 429 `rate_limited` when it is empty. */
export async function takeRequest(guard: AuthGuard, res: Response, tokenId: string): Promise<void> {
  const decision = await guard.limiter.take(tokenId);
  if (decision.allowed) return;
  res.setHeader('Retry-After', String(decision.retryAfterSeconds));
  throw new ApiError(
    429,
    'rate_limited',
    `token ${tokenId} is over its limit of ${guard.limit.ratePerSecond} requests per second (burst ${guard.limit.burst}); retry in ${decision.retryAfterSeconds} s`,
  );
}
