/**
 * Tokens, roles, the rate limit and the audit log against the real API, Temporal and PostgreSQL:
 * a refused request starts nothing, and nothing acts without its audit row.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../api/app';
import type { ApiDeps } from '../api/services/deps';
import { createToken } from '../db/stores/token-store';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/open';
import { createTestDatabase } from './helpers/database';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
});
after(async () => {
  await stack?.stop();
});

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const NO_TOKEN = { authorization: '' };
const SLEEP = { nodeClass: 'a', command: 'sleep 30' };

/** Serves another app over `deps` (the stack's, with changes) and returns its base URL and a way to stop it. */
async function serve(deps: ApiDeps): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createApp(deps, createLogger('api-test', 'silent')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** The audit rows of a request id once they are complete (completion is written after the response). */
async function auditRowsOf(requestId: string): Promise<any[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await stack.db.query('SELECT * FROM audit_log WHERE request_id = $1 ORDER BY id', [requestId]);
    if (rows.length > 0 && rows.every((r) => r.outcome !== 'pending')) return rows;
    if (Date.now() > deadline) throw new Error(`audit rows of ${requestId} not complete: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('authentication', () => {
  test('no token, a malformed one or an unknown one: 401 with WWW-Authenticate, nothing started, nothing audited', async () => {
    const before = await stack.countRuns();
    const auditBefore = (await stack.db.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n;
    for (const headers of [
      NO_TOKEN,
      { authorization: 'Basic dXNlcjpwYXNz' },
      bearer('cap_not-a-real-token'),
      bearer(`${stack.adminToken}x`),
    ]) {
      const res = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', command: 'true' }, headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.error.code, 'unauthorized');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
    }
    assert.match((await stack.request('GET', '/v1/runs', undefined, NO_TOKEN)).body.error.message, /needs a token/);
    assert.match(
      (await stack.request('GET', '/v1/runs', undefined, bearer('cap_nope'))).headers.get('www-authenticate') ?? '',
      /invalid_token/,
    );
    assert.equal(
      (await stack.request('GET', '/V1/RUNS', undefined, NO_TOKEN)).status,
      401,
      'routing ignores case, so the check does too',
    );
    assert.equal((await stack.request('POST', '/v1/runs/x/cancel', undefined, NO_TOKEN)).status, 401);
    assert.equal(await stack.countRuns(), before, 'nothing started');
    assert.equal(
      (await stack.db.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n,
      auditBefore,
      'no principal, no audit row',
    );
  });

  test('probes, metrics and the OpenAPI document stay open; the document declares the bearer and session schemes', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/v1/openapi.json']) {
      assert.equal((await fetch(`${stack.baseUrl}${path}`)).status, 200, path);
    }
    const doc = (await stack.request('GET', '/v1/openapi.json', undefined, NO_TOKEN)).body;
    assert.equal(doc.components.securitySchemes.bearer.type, 'http');
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
    assert.deepEqual(doc.components.securitySchemes.session, {
      ...doc.components.securitySchemes.session,
      type: 'apiKey',
      in: 'cookie',
      name: 'capstan_session',
    });
    assert.deepEqual(doc.security, [{ bearer: [] }, { session: [] }], 'either one');
    assert.ok(doc.paths['/v1/tokens'].post && doc.paths['/v1/audit'].get && doc.paths['/v1/tokens/{id}'].delete);
  });
});

describe('roles', () => {
  test('a viewer reads but may not start, cancel or manage tokens: 403 naming both roles, nothing started', async () => {
    const viewer = await stack.mintToken('viewer', { principal: 'vera' });
    assert.equal((await stack.request('GET', '/v1/runs', undefined, bearer(viewer.token))).status, 200);
    const before = await stack.countRuns();
    const refused = await stack.request(
      'POST',
      '/v1/tasks',
      { nodeClass: 'a', command: 'true' },
      { ...bearer(viewer.token), 'x-request-id': 'viewer-start' },
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    assert.match(refused.body.error.message, /needs the operator role.*has the viewer role/);
    assert.equal(
      (
        await stack.request(
          'POST',
          '/v1/dags',
          { name: 'x', tasks: [{ id: 'a', nodeClass: 'a', command: 'true' }] },
          bearer(viewer.token),
        )
      ).status,
      403,
    );
    assert.equal((await stack.request('GET', '/v1/tokens', undefined, bearer(viewer.token))).status, 403);
    assert.equal(await stack.countRuns(), before, 'nothing started');
    // A known principal's refused attempt to change something is on record.
    const [row] = await auditRowsOf('viewer-start');
    assert.equal(row.principal, 'vera');
    assert.equal(row.outcome, 'rejected');
    assert.equal(row.status, 403);
  });

  test('an operator starts and cancels; runs, lists and the runs table show who started them', async () => {
    const alice = await stack.mintToken('operator', { principal: 'alice' });
    const started = await stack.request(
      'POST',
      '/v1/tasks',
      { ...SLEEP, name: 'nap', labels: { team: 'infra' } },
      bearer(alice.token),
    );
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId = started.body.runId;
    assert.equal(
      (await stack.request('GET', `/v1/runs/${runId}`, undefined, bearer(alice.token))).body.startedBy,
      'alice',
    );
    const cancel = await stack.request('POST', `/v1/runs/${runId}/cancel`, undefined, bearer(alice.token));
    assert.equal(cancel.status, 202);
    assert.equal((await waitForRunEnd(stack, runId)).status, 'cancelled');
    const { rows } = await stack.db.query('SELECT kind, name, labels, started_by FROM runs WHERE run_id = $1', [runId]);
    assert.deepEqual(rows, [{ kind: 'task', name: 'nap', labels: { team: 'infra' }, started_by: 'alice' }]);
    const list = await stack.request('GET', '/v1/runs?kind=task&limit=100');
    assert.equal(list.body.runs.find((r: any) => r.runId === runId)?.startedBy, 'alice');
    // Operators may not read the audit log or manage tokens.
    assert.equal((await stack.request('GET', '/v1/audit', undefined, bearer(alice.token))).status, 403);
    assert.equal(
      (await stack.request('POST', '/v1/tokens', { principal: 'x', role: 'admin' }, bearer(alice.token))).status,
      403,
    );
  });

  test('DAGs (YAML too), retries and idempotent replays record their starter', async () => {
    const alice = await stack.mintToken('operator', { principal: 'alice' });
    const bob = await stack.mintToken('operator', { principal: 'bob' });
    const yaml = 'name: nap-dag\ntasks:\n  - id: nap\n    nodeClass: a\n    command: sleep 30\n';
    const dag = await fetch(`${stack.baseUrl}/v1/dags`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml', ...bearer(alice.token) },
      body: yaml,
    });
    assert.equal(dag.status, 202);
    const dagId = ((await dag.json()) as any).runId;
    assert.equal((await stack.request('GET', `/v1/runs/${dagId}`)).body.startedBy, 'alice');
    assert.equal((await stack.request('POST', `/v1/runs/${dagId}/cancel`, undefined, bearer(alice.token))).status, 202);
    assert.equal((await waitForRunEnd(stack, dagId)).status, 'cancelled');
    const retry = await stack.request('POST', `/v1/runs/${dagId}/retry`, undefined, bearer(bob.token));
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(
      (await stack.request('GET', `/v1/runs/${retry.body.runId}`)).body.startedBy,
      'bob',
      'a retry is started by whoever retried',
    );
    await stack.request('POST', `/v1/runs/${retry.body.runId}/cancel`, undefined, bearer(bob.token));

    const key = { 'Idempotency-Key': `auth-${Date.now()}` };
    const first = await stack.request(
      'POST',
      '/v1/tasks',
      { nodeClass: 'a', command: 'true' },
      { ...bearer(alice.token), ...key },
    );
    const replay = await stack.request(
      'POST',
      '/v1/tasks',
      { nodeClass: 'a', command: 'true' },
      { ...bearer(bob.token), ...key },
    );
    assert.equal(replay.body.runId, first.body.runId);
    assert.equal(replay.body.created, false);
    const { rows } = await stack.db.query('SELECT started_by FROM runs WHERE run_id = $1', [first.body.runId]);
    assert.deepEqual(rows, [{ started_by: 'alice' }], 'a replay leaves the first starter');
    assert.equal((await waitForRunEnd(stack, first.body.runId)).startedBy, 'alice');
  });
});

describe('tokens', () => {
  test('created by an admin and shown once; listed without secret or hash; the table holds no plain token', async () => {
    const created = await stack.request('POST', '/v1/tokens', {
      principal: 'carol',
      role: 'operator',
      expiresInSeconds: 3600,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id, token } = created.body;
    assert.match(token, /^cap_[\w-]{43}$/);
    assert.match(id, /^tok_/);
    assert.equal(created.body.principal, 'carol');
    assert.equal(created.body.createdBy, 'test-admin');
    assert.ok(Math.abs(Date.parse(created.body.expiresAt) - Date.now() - 3_600_000) < 60_000);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    assert.equal((await stack.request('GET', '/v1/runs', undefined, bearer(token))).status, 200, 'the new token works');

    const listed = await stack.request('GET', '/v1/tokens');
    assert.equal(listed.status, 200);
    const mine = listed.body.tokens.find((t: any) => t.id === id);
    assert.deepEqual(Object.keys(mine).sort(), [
      'createdAt',
      'createdBy',
      'expiresAt',
      'id',
      'lastUsedAt',
      'principal',
      'revokedAt',
      'role',
      'status',
    ]);
    assert.equal(mine.status, 'active');
    assert.ok(!JSON.stringify(listed.body).includes(token.slice(4)), 'no secret in the list');

    const { rows } = await stack.db.query('SELECT * FROM api_tokens');
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        const text = Buffer.isBuffer(value)
          ? `${value.toString('hex')} ${value.toString('base64url')} ${value.toString('latin1')}`
          : String(value);
        assert.ok(!text.includes(token.slice(4)), `column ${column} holds no token`);
        assert.ok(!text.includes(stack.adminToken.slice(4)), `column ${column} holds no admin token`);
      }
    }
    const stored = rows.find((r) => r.id === id);
    assert.deepEqual(stored.token_sha256, createHash('sha256').update(token).digest(), 'only the SHA-256 is kept');
  });

  test('bad bodies are refused naming each field, and create nothing', async () => {
    const count = async () => (await stack.db.query('SELECT count(*)::int AS n FROM api_tokens')).rows[0].n;
    const before = await count();
    const bad = await stack.request('POST', '/v1/tokens', {
      principal: '',
      role: 'root',
      expiresAt: '2000-01-01T00:00:00Z',
      extra: 1,
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.details.map((d: any) => d.field).sort(), ['extra', 'principal', 'role']);
    const past = await stack.request('POST', '/v1/tokens', {
      principal: 'p',
      role: 'viewer',
      expiresAt: '2000-01-01T00:00:00Z',
    });
    assert.deepEqual(past.body.error.details, [{ field: 'expiresAt', message: 'must be in the future' }]);
    const both = await stack.request('POST', '/v1/tokens', {
      principal: 'p',
      role: 'viewer',
      expiresAt: '2999-01-01T00:00:00Z',
      expiresInSeconds: 600,
    });
    assert.equal(both.body.error.details[0].field, 'expiresInSeconds');
    assert.equal(
      (await stack.request('POST', '/v1/tokens', { principal: 'p', role: 'viewer', expiresInSeconds: 1.5 })).status,
      400,
    );
    assert.equal(await count(), before);
  });

  test('revoked and expired tokens get 401; revoking twice is fine, an unknown id is 404', async () => {
    const dave = (await stack.request('POST', '/v1/tokens', { principal: 'dave', role: 'operator' })).body;
    assert.equal((await stack.request('GET', '/v1/runs', undefined, bearer(dave.token))).status, 200);
    const revoked = await stack.request('DELETE', `/v1/tokens/${dave.id}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');
    const again = await stack.request('DELETE', `/v1/tokens/${dave.id}`);
    assert.equal(again.status, 200);
    assert.equal(again.body.revokedAt, revoked.body.revokedAt, 'the first revocation time stays');
    assert.equal((await stack.request('DELETE', '/v1/tokens/tok_unknown')).status, 404);
    const refused = await stack.request('POST', '/v1/tasks', SLEEP, bearer(dave.token));
    assert.equal(refused.status, 401);
    assert.match(refused.body.error.message, /revoked/);

    const shortLived = await stack.mintToken('operator', { expiresAt: new Date(Date.now() + 1500) });
    assert.equal((await stack.request('GET', '/v1/runs', undefined, bearer(shortLived.token))).status, 200);
    await new Promise((r) => setTimeout(r, 1600));
    const expired = await stack.request('GET', '/v1/runs', undefined, bearer(shortLived.token));
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
    assert.equal(
      (await stack.request('GET', '/v1/tokens')).body.tokens.find((t: any) => t.id === shortLived.id).status,
      'expired',
    );
  });

  test("with npm start's token cache on, a revocation through the same API applies at once; one by another API waits out the cache", async () => {
    // CAPSTAN_API_TOKEN_CACHE_MS: npm start sets 2 s; 60 s here so the second half cannot pass by the cache expiring.
    const cached = await serve({ ...stack.deps, caches: { tokenMs: 60_000 } });
    try {
      const call = (method: string, path: string, token: string) =>
        fetch(`${cached.url}${path}`, { method, headers: bearer(token) });
      const frank = await stack.mintToken('viewer', { principal: 'frank' });
      assert.equal((await call('GET', '/v1/runs', frank.token)).status, 200, 'found and kept');
      assert.equal((await call('DELETE', `/v1/tokens/${frank.id}`, stack.adminToken)).status, 200);
      const refused = await call('GET', '/v1/runs', frank.token);
      assert.equal(refused.status, 401, 'revoked through this API: refused on the next request');

      const grace = await stack.mintToken('viewer', { principal: 'grace' });
      assert.equal((await call('GET', '/v1/runs', grace.token)).status, 200);
      assert.equal((await stack.request('DELETE', `/v1/tokens/${grace.id}`)).status, 200, 'revoked by another API');
      assert.equal(
        (await call('GET', '/v1/runs', grace.token)).status,
        200,
        'this API still trusts its kept token until the cache time runs out (the documented lag)',
      );
      assert.equal((await stack.request('GET', '/v1/runs', undefined, bearer(grace.token))).status, 401);
    } finally {
      await cached.close();
    }
  });

  test('last use is recorded', async () => {
    const erin = await stack.mintToken('viewer', { principal: 'erin' });
    await stack.request('GET', '/v1/runs', undefined, bearer(erin.token));
    const deadline = Date.now() + 5000;
    let lastUsed: Date | null = null;
    while (!lastUsed && Date.now() < deadline) {
      lastUsed = (await stack.db.query('SELECT last_used_at FROM api_tokens WHERE id = $1', [erin.id])).rows[0]
        .last_used_at;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(lastUsed, 'last_used_at is set after a request');
  });
});

describe('rate limit', () => {
  test('a burst over the limit on one token gets 429 with Retry-After; another token is unaffected', async () => {
    const app = await serve({ ...stack.deps, auth: { ratePerSecond: 1, burst: 3 } });
    try {
      const get = (token: string) => fetch(`${app.url}/v1/tokens`, { headers: bearer(token) });
      const busy = (await stack.mintToken('admin', { principal: 'busy' })).token;
      const calm = (await stack.mintToken('admin', { principal: 'calm' })).token;
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 6; i++) {
        const res = await get(busy);
        statuses.push(res.status);
        if (res.status === 429) limited = res;
      }
      assert.deepEqual(statuses.slice(0, 3), [200, 200, 200], 'the burst goes through');
      assert.ok(limited, `one of ${statuses.join(', ')} is 429`);
      const retryAfter = limited.headers.get('retry-after') ?? '';
      assert.match(retryAfter, /^\d+$/);
      assert.ok(Number(retryAfter) >= 1);
      assert.equal(((await limited.json()) as any).error.code, 'rate_limited');
      assert.equal((await get(calm)).status, 200, 'another token has its own bucket');
    } finally {
      await app.close();
    }
  });
});

describe('audit log', () => {
  test('start, cancel and token changes are recorded with principal, request id, target and outcome; reads are not', async () => {
    const op = await stack.mintToken('operator', { principal: 'auditee' });
    const start = await stack.request('POST', '/v1/tasks', SLEEP, {
      ...bearer(op.token),
      'x-request-id': 'audit-start',
    });
    const runId = start.body.runId;
    await stack.request('POST', `/v1/runs/${runId}/cancel`, undefined, {
      ...bearer(op.token),
      'x-request-id': 'audit-cancel',
    });
    await stack.request('POST', `/v1/runs/${runId}/cancel`, undefined, {
      ...bearer(op.token),
      'x-request-id': 'audit-cancel',
    });
    const created = await stack.request(
      'POST',
      '/v1/tokens',
      { principal: 'temp', role: 'viewer' },
      { 'x-request-id': 'audit-token-create' },
    );
    await stack.request('DELETE', `/v1/tokens/${created.body.id}`, undefined, { 'x-request-id': 'audit-token-revoke' });
    await stack.request('GET', `/v1/runs/${runId}`, undefined, { ...bearer(op.token), 'x-request-id': 'audit-read' });

    const [started] = await auditRowsOf('audit-start');
    assert.equal(started.principal, 'auditee');
    assert.equal(started.token_id, op.id);
    assert.equal(started.action, 'task.start');
    assert.equal(started.method, 'POST');
    assert.equal(started.path, '/v1/tasks');
    assert.equal(started.target, runId, 'the run the handler started');
    assert.equal(started.outcome, 'succeeded');
    assert.equal(started.status, 202);
    assert.ok(started.finished_at >= started.at);
    const cancels = await auditRowsOf('audit-cancel');
    assert.equal(cancels.length, 2, 'a repeated request id gets a row per request');
    // The second cancel may land while the run is still stopping (202) or after (409); either way it is on record.
    assert.deepEqual(
      cancels.map((r) => [r.action, r.target]),
      [
        ['run.cancel', runId],
        ['run.cancel', runId],
      ],
    );
    assert.deepEqual([cancels[0].outcome, cancels[0].status], ['succeeded', 202]);
    const [tokenCreate] = await auditRowsOf('audit-token-create');
    assert.deepEqual(
      [tokenCreate.principal, tokenCreate.action, tokenCreate.target, tokenCreate.outcome, tokenCreate.status],
      ['test-admin', 'token.create', created.body.id, 'succeeded', 201],
    );
    const [tokenRevoke] = await auditRowsOf('audit-token-revoke');
    assert.deepEqual(
      [tokenRevoke.action, tokenRevoke.target, tokenRevoke.outcome],
      ['token.revoke', created.body.id, 'succeeded'],
    );
    assert.equal(
      (
        await stack.db.query(
          "SELECT count(*)::int AS n FROM audit_log WHERE request_id = 'audit-read' OR method IN ('GET', 'HEAD')",
        )
      ).rows[0].n,
      0,
    );

    const listed = await stack.request('GET', '/v1/audit?principal=auditee');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.entries.map((e: any) => e.action),
      ['run.cancel', 'run.cancel', 'task.start'],
      'newest first',
    );
    assert.equal(listed.body.entries[2].requestId, 'audit-start');
    assert.equal(listed.body.entries[2].target, runId);
    const byTarget = await stack.request('GET', `/v1/audit?action=run.cancel&target=${runId}`);
    assert.equal(byTarget.body.entries.length, 2);
    const page1 = await stack.request('GET', '/v1/audit?principal=auditee&limit=2');
    assert.equal(page1.body.entries.length, 2);
    assert.ok(page1.body.nextCursor);
    const page2 = await stack.request('GET', `/v1/audit?principal=auditee&limit=2&cursor=${page1.body.nextCursor}`);
    assert.deepEqual(
      page2.body.entries.map((e: any) => e.requestId),
      ['audit-start'],
    );
    assert.equal(page2.body.nextCursor, null);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.deepEqual((await stack.request('GET', `/v1/audit?since=${encodeURIComponent(future)}`)).body.entries, []);
    assert.equal(
      (await stack.request('GET', `/v1/audit?principal=auditee&until=${encodeURIComponent(future)}`)).body.entries
        .length,
      3,
    );
    const badCursor = await stack.request('GET', '/v1/audit?cursor=abc');
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.body.error.details[0].field, 'query.cursor');
    assert.equal((await stack.request('GET', '/v1/audit', undefined, bearer(op.token))).status, 403, 'admins only');
  });
});

describe('database unavailable', () => {
  test('when the audit row cannot be written nothing acts; with the database gone a start gets 503 and starts nothing', async () => {
    const database = await createTestDatabase();
    const db = await openDatabase(database.url, createLogger('test-db', 'silent'));
    const app = await serve({ ...stack.deps, db });
    try {
      const { secret } = await createToken(db, { principal: 'op', role: 'operator', createdBy: 'test' });
      const start = () =>
        fetch(`${app.url}/v1/tasks`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...bearer(secret) },
          body: JSON.stringify(SLEEP),
        });
      assert.equal((await fetch(`${app.url}/v1/runs?limit=1`, { headers: bearer(secret) })).status, 200);
      const before = await stack.countRuns();

      // Every audit insert fails (a constraint no row meets): the handler must not run.
      await db.query('ALTER TABLE audit_log ADD CONSTRAINT refuse_all CHECK (false) NOT VALID');
      const noAudit = await start();
      assert.equal(noAudit.status, 500);
      assert.equal((await db.query('SELECT count(*)::int AS n FROM runs')).rows[0].n, 0, 'no run recorded');
      await db.query('ALTER TABLE audit_log DROP CONSTRAINT refuse_all');

      await database.drop();
      const down = await start();
      assert.equal(down.status, 503);
      assert.equal(((await down.json()) as any).error.code, 'database_unavailable');
      assert.equal(await stack.countRuns(), before, 'nothing started');
    } finally {
      await app.close();
      await db.end();
      await database.drop();
    }
  });
});
