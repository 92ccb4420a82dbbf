/**
 * Active tokens recently found by their secret, kept for a short time so that a busy client's
 * requests need no database lookup each. Revoking a token through this process forgets it at once;
 * a revocation made by another API process (or straight in the database) takes effect here within
 * the time to live.
 */
import { hashToken } from '../../db/stores/token-format';
import { tokenStatus, type TokenRecord } from '../../db/stores/token-store';

/** How long a found token is trusted without a lookup: the most another process's revocation can lag here. */
export const TOKEN_CACHE_TTL_MS = 2000;

/** Most secrets kept; past it the cache starts over (costing one lookup per secret). */
const MAX_ENTRIES = 10_000;

interface Entry {
  token: TokenRecord;
  until: number;
}

/** Secrets (by hash) of tokens found active, each until its time to live or the token's expiry, whichever is first. */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /** Counts revocations, so a lookup that was under way while one happened is not remembered (it may predate it). */
  private revocations = 0;

  constructor(
    private readonly ttlMs = TOKEN_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The active token this secret was found to be, if it was found lately; undefined means "look it up". */
  get(secret: string): TokenRecord | undefined {
    if (this.ttlMs <= 0) return undefined;
    const key = hashToken(secret).toString('hex');
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.now();
    if (now >= entry.until || tokenStatus(entry.token, new Date(now)) !== 'active') {
      this.entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /** A mark to take before a lookup and give back to `remember`. */
  epoch(): number {
    return this.revocations;
  }

  /** Remembers a token looked up since `epoch`; only an active one, and not when a revocation came in between. */
  remember(secret: string, token: TokenRecord, epoch: number): void {
    if (this.ttlMs <= 0 || epoch !== this.revocations) return;
    if (tokenStatus(token, new Date(this.now())) !== 'active') return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const expires = token.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
    this.entries.set(hashToken(secret).toString('hex'), { token, until: Math.min(this.now() + this.ttlMs, expires) });
  }

  /** Forgets every secret of token `id` (it was revoked), so its next request is looked up and refused. */
  forget(id: string): void {
    this.revocations++;
    for (const [key, entry] of this.entries) if (entry.token.id === id) this.entries.delete(key);
  }
}
