/** The token cache serves only active tokens, for its time to live, and never past a revocation made through it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenCache } from '../../api/auth/token-cache';
import type { TokenRecord } from '../../db/stores/token-store';

function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: 'tok_1',
    principal: 'ci',
    role: 'operator',
    createdAt: new Date(0),
    createdBy: 'admin',
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

describe('TokenCache', () => {
  test('an active token is served until its time to live, then looked up again', () => {
    let now = 1000;
    const cache = new TokenCache(2000, () => now);
    cache.remember('cap_a', token(), cache.epoch());
    assert.equal(cache.get('cap_a')?.id, 'tok_1');
    assert.equal(cache.get('cap_b'), undefined, 'another secret is not this token');
    now = 2999;
    assert.equal(cache.get('cap_a')?.id, 'tok_1');
    now = 3000;
    assert.equal(cache.get('cap_a'), undefined);
  });

  test('a revoked or expired token is never remembered, and an expiry inside the time to live is honoured', () => {
    let now = 1000;
    const cache = new TokenCache(2000, () => now);
    cache.remember('cap_r', token({ revokedAt: new Date(500) }), cache.epoch());
    assert.equal(cache.get('cap_r'), undefined);
    cache.remember('cap_x', token({ id: 'tok_x', expiresAt: new Date(1500) }), cache.epoch());
    assert.equal(cache.get('cap_x')?.id, 'tok_x');
    now = 1500;
    assert.equal(cache.get('cap_x'), undefined, 'expired at 1500 although the time to live runs to 3000');
  });

  test('forget drops every secret of the token at once, and a lookup under way during it is not remembered', () => {
    const cache = new TokenCache(60_000);
    cache.remember('cap_a', token(), cache.epoch());
    cache.remember('cap_other', token({ id: 'tok_2' }), cache.epoch());
    const before = cache.epoch();
    cache.forget('tok_1');
    assert.equal(cache.get('cap_a'), undefined);
    assert.equal(cache.get('cap_other')?.id, 'tok_2', 'other tokens stay');
    cache.remember('cap_a', token(), before);
    assert.equal(cache.get('cap_a'), undefined, 'looked up before the revocation, answered after it');
  });

  test('a time to live of 0 turns the cache off', () => {
    const cache = new TokenCache(0);
    cache.remember('cap_a', token(), cache.epoch());
    assert.equal(cache.get('cap_a'), undefined);
  });
});
