/**
 * Throttling of failed authentications per client address: each unknown, revoked or expired token
 * costs a database lookup, so an address that keeps sending them is refused (429) before the
 * lookup. Other addresses are not affected, and a token this process has seen valid still gets
 * through from a throttled address, so a guesser behind a shared proxy does not lock out its users.
 */
import { createHash } from 'node:crypto';
import { RateLimiter, type RateDecision, type RateLimit } from './rate-limiter';

/** Failed authentications an address may make: 20 at once, then 2 a second. */
export const FAILED_AUTH_LIMIT: RateLimit = { ratePerSecond: 2, burst: 20 };

/** Most tokens remembered as valid; past it the oldest is forgotten (and meets the throttle again). */
const MAX_KNOWN_GOOD = 10_000;

/** Counts failures per address and remembers which token secrets were valid. */
export class FailedAuthThrottle {
  private readonly failures: RateLimiter;
  private readonly knownGood = new Set<string>();

  constructor(limit: RateLimit = FAILED_AUTH_LIMIT, now: () => number = Date.now) {
    this.failures = new RateLimiter(limit, now);
  }

  /** Before the lookup: refused when `address` is out of failures and `secret` is not a token seen valid. */
  admit(address: string, secret: string): RateDecision {
    const decision = this.failures.check(address);
    if (decision.allowed || this.knownGood.has(digest(secret))) return { allowed: true };
    return decision;
  }

  /** After a lookup that found no usable token. */
  failed(address: string): void {
    this.failures.take(address);
  }

  /** After a lookup that found a valid token. */
  succeeded(secret: string): void {
    const key = digest(secret);
    if (this.knownGood.has(key)) return;
    if (this.knownGood.size >= MAX_KNOWN_GOOD) this.knownGood.delete(this.knownGood.values().next().value!);
    this.knownGood.add(key);
  }
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64');
}
