/** Where a token's request bucket lives: this process's memory, or PostgreSQL shared by every API process. */
import type { Pool } from 'pg';
import { takeFromBucket } from '../../db/stores/rate-buckets';
import { timed } from '../server-timing';
import { withDatabase } from './database-errors';
import { RateLimiter, type RateDecision, type RateLimit } from './rate-limiter';

/** Where the buckets are kept: `database` lets N API processes behind one address hold a token to one limit. */
export type RateLimitStore = 'memory' | 'database';

/** Takes one request from a token's bucket. */
export interface RequestLimiter {
  take(key: string): Promise<RateDecision>;
}

/** A limiter over the store chosen; `db` is used only by the `database` store. */
export function createRequestLimiter(limit: RateLimit, store: RateLimitStore, db: Pool): RequestLimiter {
  if (store === 'memory') {
    const memory = new RateLimiter(limit);
    return { take: (key) => Promise.resolve(memory.take(key)) };
  }
  return {
    take: async (key) => {
      const taken = await timed('ratelimit', () =>
        withDatabase('checking the rate limit', () => takeFromBucket(db, key, limit)),
      );
      if (taken.allowed) return { allowed: true };
      // Whole seconds, rounded up and at least 1, as the memory store answers.
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - taken.tokens) / limit.ratePerSecond)),
      };
    },
  };
}
