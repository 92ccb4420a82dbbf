/** Token-bucket rate limiting per key (a token id, a client address), in this process's memory. */

/** Limits of one bucket: `burst` requests at once, refilled at `ratePerSecond`. */
export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

/** What a request gets from the limiter: through, or the whole seconds after which one request would be. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One bucket per key; a bucket starts full, so a new or idle key may send `burst` requests at once.
 * At most `maxKeys` buckets are kept: past that, full (idle) buckets are forgotten, then the oldest,
 * so keys an attacker can mint (client addresses) cannot grow the map without end.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one request from `key`'s bucket if it has one. */
  take(key: string): RateDecision {
    const decision = this.check(key);
    if (decision.allowed) this.buckets.get(key)!.tokens -= 1;
    return decision;
  }

  /** Whether `key`'s bucket has a request left, without taking it. */
  check(key: string): RateDecision {
    const bucket = this.refilled(key);
    if (bucket.tokens >= 1) return { allowed: true };
    // Retry-After is in whole seconds; rounding up (and at least 1) never invites a retry that fails again.
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.ratePerSecond)),
    };
  }

  private refilled(key: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    // A clock that steps back must not drain the bucket, so elapsed time never goes negative.
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsedSeconds * this.limit.ratePerSecond);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= this.maxKeys) this.forget();
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private forget(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      const tokens = bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.limit.ratePerSecond;
      if (tokens >= this.limit.burst) this.buckets.delete(key);
    }
    // Still full of busy keys: drop the oldest tenth; those keys start over with a full bucket.
    if (this.buckets.size >= this.maxKeys) {
      let drop = Math.ceil(this.maxKeys / 10);
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}
