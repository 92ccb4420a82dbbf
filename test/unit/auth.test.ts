/** The pure parts of authentication: role order, the path policy, token format, the token bucket, audit action names. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditAction } from '../../api/auth/audit-actions';
import { outcomeOf } from '../../db/stores/audit-store';
import { isAudited, needsToken, requiredRole } from '../../api/auth/policy';
import { RateLimiter } from '../../api/auth/rate-limiter';
import { roleAtLeast } from '../../db/stores/token-roles';
import { parseBearer } from '../../api/auth/bearer';
import {
  hashToken,
  looksLikeCapstanToken,
  newTokenId,
  newTokenSecret,
  parseDurationSeconds,
} from '../../db/stores/token-format';
import { tokenStatus, type TokenRecord } from '../../db/stores/token-store';

describe('roles', () => {
  test('are ordered viewer < operator < admin', () => {
    assert.ok(roleAtLeast('admin', 'operator') && roleAtLeast('admin', 'viewer') && roleAtLeast('operator', 'viewer'));
    assert.ok(roleAtLeast('viewer', 'viewer') && roleAtLeast('operator', 'operator') && roleAtLeast('admin', 'admin'));
    assert.ok(
      !roleAtLeast('viewer', 'operator') && !roleAtLeast('viewer', 'admin') && !roleAtLeast('operator', 'admin'),
    );
  });
});

describe('policy', () => {
  test('probes, metrics, the OpenAPI document and webhook routes are open; everything else needs a token', () => {
    for (const path of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/v1/openapi.json',
      '/v1/webhooks/github',
      '/V1/OpenAPI.json',
    ])
      assert.ok(!needsToken(path), path);
    for (const path of [
      '/v1/tasks',
      '/v1/runs/x',
      '/V1/TASKS',
      '/v1/tasks/',
      '/v1',
      '/v1/webhooksx',
      '/anything',
      '/healthz/x',
    ])
      assert.ok(needsToken(path), path);
  });

  test('signing in needs no token (it brings one in its body); reading the session and signing out do', () => {
    assert.ok(!needsToken('/v1/session', 'POST'));
    assert.ok(!needsToken('/V1/Session/', 'post'));
    for (const method of ['GET', 'HEAD', 'DELETE', 'PUT']) assert.ok(needsToken('/v1/session', method), method);
    assert.ok(needsToken('/v1/session'), 'without a method: fails closed');
    assert.ok(needsToken('/v1/sessions', 'POST'));
    for (const method of ['GET', 'DELETE']) assert.equal(requiredRole(method, '/v1/session'), 'viewer', method);
  });

  test('reading needs viewer, changing needs operator, tokens and audit need admin whatever the method or case', () => {
    assert.equal(requiredRole('GET', '/v1/runs'), 'viewer');
    assert.equal(requiredRole('HEAD', '/v1/runs/x'), 'viewer');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
      assert.equal(requiredRole(method, '/v1/tasks'), 'operator');
    for (const [method, path] of [
      ['GET', '/v1/tokens'],
      ['POST', '/v1/tokens'],
      ['DELETE', '/v1/tokens/tok_1'],
      ['GET', '/v1/audit'],
      ['GET', '/V1/Tokens/'],
      ['GET', '/v1/audit/'],
    ]) {
      assert.equal(requiredRole(method!, path!), 'admin', `${method} ${path}`);
    }
    assert.equal(requiredRole('GET', '/v1/tokensmith'), 'viewer', 'a prefix is a whole segment');
  });

  test('planning a spec is a POST that changes nothing: viewer, not audited; other methods there are not', () => {
    for (const path of ['/v1/dags/plan', '/V1/Dags/Plan/']) {
      assert.equal(requiredRole('POST', path), 'viewer', path);
      assert.equal(isAudited('POST', path), false, path);
    }
    for (const method of ['PUT', 'DELETE']) assert.equal(requiredRole(method, '/v1/dags/plan'), 'operator', method);
    assert.equal(requiredRole('POST', '/v1/dags'), 'operator');
    assert.equal(requiredRole('POST', '/v1/dags/plan/x'), 'operator');
    assert.equal(isAudited('POST', '/v1/dags'), true);
    assert.equal(isAudited('GET', '/v1/runs'), false);
  });
});

describe('token format', () => {
  test('secrets are cap_ and 32 random bytes of base64url, all different', () => {
    const secrets = new Set(Array.from({ length: 100 }, newTokenSecret));
    assert.equal(secrets.size, 100);
    for (const secret of secrets)
      assert.ok(looksLikeCapstanToken(secret) && Buffer.from(secret.slice(4), 'base64url').length === 32, secret);
    assert.match(newTokenId(), /^tok_[\w-]{16}$/);
  });

  test('the stored hash is 32 bytes of SHA-256 and does not contain the secret', () => {
    const secret = newTokenSecret();
    const hash = hashToken(secret);
    assert.equal(hash.length, 32);
    assert.deepEqual(hash, hashToken(secret));
    assert.ok(!hash.toString('latin1').includes(secret.slice(4, 12)));
  });

  test('Authorization headers: none, malformed, or a bearer token with any case of the scheme', () => {
    assert.deepEqual(parseBearer(undefined), { kind: 'none' });
    assert.deepEqual(parseBearer('Bearer cap_abc-_1'), { kind: 'token', token: 'cap_abc-_1' });
    assert.deepEqual(parseBearer('bearer   cap_x'), { kind: 'token', token: 'cap_x' });
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'cap_x', 'Bearer cap"x'])
      assert.deepEqual(parseBearer(header), { kind: 'malformed' }, header);
  });

  test('durations', () => {
    assert.equal(parseDurationSeconds('90s'), 90);
    assert.equal(parseDurationSeconds('15m'), 900);
    assert.equal(parseDurationSeconds('12h'), 43_200);
    assert.equal(parseDurationSeconds('30d'), 2_592_000);
    assert.equal(parseDurationSeconds('2w'), 1_209_600);
    for (const bad of ['', '30', 'd', '0d', '-1d', '1.5h', '3y'])
      assert.equal(parseDurationSeconds(bad), undefined, bad);
  });

  test('a token is active, expired or revoked', () => {
    const base: TokenRecord = {
      id: 't',
      principal: 'p',
      role: 'viewer',
      createdAt: new Date(0),
      createdBy: 'x',
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
    };
    const now = new Date('2030-01-01T00:00:00Z');
    assert.equal(tokenStatus(base, now), 'active');
    assert.equal(tokenStatus({ ...base, expiresAt: new Date('2030-01-01T00:00:01Z') }, now), 'active');
    assert.equal(tokenStatus({ ...base, expiresAt: now }, now), 'expired');
    assert.equal(
      tokenStatus({ ...base, expiresAt: new Date('2031-01-01T00:00:00Z'), revokedAt: new Date(1) }, now),
      'revoked',
    );
  });
});

describe('token bucket', () => {
  test('allows a burst, then refills at the rate, per key', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3 }, () => now);
    for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take('a'), { allowed: true });
    assert.deepEqual(limiter.take('a'), { allowed: false, retryAfterSeconds: 1 });
    assert.deepEqual(limiter.take('b'), { allowed: true }, 'another key has its own bucket');
    now += 500; // one request's worth at 2/s
    assert.deepEqual(limiter.take('a'), { allowed: true });
    assert.equal(limiter.take('a').allowed, false);
    now += 60_000;
    for (let i = 0; i < 3; i++) assert.equal(limiter.take('a').allowed, true, 'refills only up to the burst');
    assert.equal(limiter.take('a').allowed, false);
  });

  test('Retry-After is whole seconds, at least 1, long enough at slow rates', () => {
    let now = 0;
    const slow = new RateLimiter({ ratePerSecond: 0.1, burst: 1 }, () => now);
    assert.equal(slow.take('k').allowed, true);
    assert.deepEqual(slow.take('k'), { allowed: false, retryAfterSeconds: 10 });
    now += 9_000;
    assert.deepEqual(slow.take('k'), { allowed: false, retryAfterSeconds: 1 });
    now -= 5_000; // a clock stepping back neither refills nor drains
    assert.equal(slow.take('k').allowed, false);
  });
});

describe('audit actions', () => {
  test('are named from method and path, with the target the path names', () => {
    assert.deepEqual(auditAction('POST', '/v1/tasks'), { action: 'task.start' });
    assert.deepEqual(auditAction('POST', '/v1/dags/'), { action: 'dag.start' });
    assert.deepEqual(auditAction('POST', '/v1/runs/task-1/cancel'), { action: 'run.cancel', target: 'task-1' });
    assert.deepEqual(auditAction('POST', '/V1/Runs/dag-x%2Fy/Retry'), { action: 'run.retry', target: 'dag-x/y' });
    assert.deepEqual(auditAction('POST', '/v1/runs/r/approve'), { action: 'run.approve', target: 'r' });
    assert.deepEqual(auditAction('POST', '/v1/tokens'), { action: 'token.create' });
    assert.deepEqual(auditAction('DELETE', '/v1/tokens/tok_AbC'), { action: 'token.revoke', target: 'tok_AbC' });
    assert.deepEqual(auditAction('POST', '/v1/session'), { action: 'session.start' });
    assert.deepEqual(auditAction('DELETE', '/v1/session'), { action: 'session.end' });
    assert.deepEqual(auditAction('PUT', '/v1/tasks'), { action: 'PUT /v1/tasks' });
    assert.deepEqual(auditAction('POST', '/v1/runs/r/not a verb'), { action: 'POST /v1/runs/r/not a verb' });
  });

  test('outcomes follow the status class', () => {
    assert.equal(outcomeOf(201), 'succeeded');
    assert.equal(outcomeOf(202), 'succeeded');
    assert.equal(outcomeOf(403), 'rejected');
    assert.equal(outcomeOf(409), 'rejected');
    assert.equal(outcomeOf(503), 'failed');
  });
});
