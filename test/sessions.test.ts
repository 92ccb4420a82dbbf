/**
 * Console sessions against the real API, Temporal and PostgreSQL: a token exchanged for an HttpOnly
 * SameSite cookie, the CSRF defences of changes made with it, and every way a session ends.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../api/app';
import type { ApiDeps } from '../api/services/deps';
import { createLogger } from '../config/logger';
import { MAX_SESSIONS_PER_TOKEN } from '../db/stores/session-store';
import { assertDocumentedAnswer } from './helpers/openapi-conformance';
import { startTestStack, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
});
after(async () => {
  await stack?.stop();
});

const NO_TOKEN = { authorization: '' };
const TASK = { nodeClass: 'a', command: 'true' };

/** A signed-in browser: its cookie's value and the session's CSRF token. */
interface Browser {
  cookie: string;
  csrf: string;
  body: any;
}

/** The `capstan_session` Set-Cookie line of an answer, if any. */
function sessionSetCookie(headers: Headers): string | undefined {
  return headers.getSetCookie().find((line) => line.startsWith('capstan_session='));
}

/** Signs in with `token` as a browser of the API's own origin would. */
async function signIn(token: string, baseUrl = stack.baseUrl): Promise<Browser> {
  const res = await fetch(`${baseUrl}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl, 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify({ token }),
  });
  const body = (await res.json()) as any;
  assert.equal(res.status, 200, JSON.stringify(body));
  const line = sessionSetCookie(res.headers);
  assert.ok(line, 'a session cookie is set');
  return { cookie: /^capstan_session=([^;]*)/.exec(line)![1]!, csrf: body.csrfToken, body };
}

/** Headers of a request made with the session cookie only (no Authorization), with the CSRF token when `csrf`. */
function asBrowser(browser: Browser, csrf = false, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...NO_TOKEN,
    cookie: `capstan_session=${browser.cookie}`,
    ...(csrf ? { 'x-capstan-csrf': browser.csrf } : {}),
    ...extra,
  };
}

/** An HTML form's post: urlencoded, no Authorization header. */
async function postForm(
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: res.status, body: await res.json() };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Serves another app over `deps` (the stack's, with changes), with a guard and buckets of its own. */
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

async function sessionRows(): Promise<number> {
  return (await stack.db.query('SELECT count(*)::int AS n FROM api_sessions')).rows[0].n;
}

describe('signing in', () => {
  test('an operator token becomes an HttpOnly, SameSite=Strict cookie that reads the API on its own', async () => {
    const operator = await stack.mintToken('operator', { principal: 'olive' });
    const res = await stack.request(
      'POST',
      '/v1/session',
      { token: operator.token },
      {
        ...NO_TOKEN,
        'x-request-id': 'session-sign-in',
      },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertDocumentedAnswer('POST', '/v1/session', res.status, res.body);
    assert.equal(res.body.principal, 'olive');
    assert.equal(res.body.role, 'operator');
    assert.equal(res.body.tokenId, operator.id);
    assert.match(res.body.csrfToken, /^[\w-]{43}$/);
    const hours = (Date.parse(res.body.expiresAt) - Date.now()) / 3_600_000;
    assert.ok(hours > 11.9 && hours <= 12, `a session lasts CAPSTAN_SESSION_HOURS (12 by default): ${hours} h`);
    assert.equal(res.headers.get('cache-control'), 'no-store');

    const line = sessionSetCookie(res.headers)!;
    const attributes = line.split(';').map((part) => part.trim());
    const secret = attributes[0]!.slice('capstan_session='.length);
    assert.match(secret, /^[\w-]{43}$/, 'an opaque random value, not the token');
    assert.notEqual(secret, operator.token);
    assert.ok(attributes.includes('HttpOnly'), line);
    assert.ok(attributes.includes('SameSite=Strict'), line);
    assert.ok(attributes.includes('Path=/'), line);
    assert.ok(!attributes.includes('Secure'), 'plain http: no Secure (the API does not trust X-Forwarded-Proto)');
    const maxAge = Number(/Max-Age=(\d+)/.exec(line)?.[1]);
    assert.ok(maxAge > 12 * 3600 - 60 && maxAge <= 12 * 3600, `the browser keeps it as long as the session: ${line}`);

    // Only a hash of the cookie's secret is stored, with the token it came from.
    const { rows } = await stack.db.query('SELECT * FROM api_sessions WHERE token_id = $1', [operator.id]);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].secret_sha256, sha256(secret));
    assert.ok(!JSON.stringify(rows[0]).includes(secret) && !JSON.stringify(rows[0]).includes(operator.token));
    const [audit] = await auditRowsOf('session-sign-in');
    assert.equal(audit.action, 'session.start');
    assert.equal(audit.principal, 'olive');
    assert.equal(audit.token_id, operator.id);
    assert.equal(audit.target, rows[0].id);
    assert.equal(audit.outcome, 'succeeded');

    const browser = { cookie: secret, csrf: res.body.csrfToken as string, body: res.body };
    const session = await stack.request('GET', '/v1/session', undefined, asBrowser(browser));
    assert.equal(session.status, 200);
    assertDocumentedAnswer('GET', '/v1/session', session.status, session.body);
    assert.deepEqual(session.body, res.body);
    const runs = await stack.request('GET', '/v1/runs', undefined, asBrowser(browser));
    assert.equal(runs.status, 200, JSON.stringify(runs.body));
    assert.ok(Array.isArray(runs.body.runs));
    assert.equal(runs.headers.get('cache-control'), 'private', 'no shared cache keeps an answer to a cookie');
    // A request with a bearer token has no session to read.
    const bearerOnly = await stack.request('GET', '/v1/session');
    assert.equal(bearerOnly.status, 401);
    assertDocumentedAnswer('GET', '/v1/session', bearerOnly.status, bearerOnly.body);
  });

  test('a wrong, revoked or expired token is refused with a message naming the field token, and sets no cookie', async () => {
    const before = await sessionRows();
    const revoked = await stack.mintToken('operator', { principal: 'gone' });
    assert.equal((await stack.request('DELETE', `/v1/tokens/${revoked.id}`)).status, 200);
    const expired = await stack.mintToken('operator', { principal: 'old', expiresAt: new Date(Date.now() - 1000) });
    for (const [token, message] of [
      ['cap_not-a-real-token', /the token is not known/],
      [`${stack.adminToken}x`, /the token is not known/],
      [revoked.token, new RegExp(`token ${revoked.id} was revoked at`)],
      [expired.token, new RegExp(`token ${expired.id} expired at`)],
    ] as const) {
      const res = await stack.request('POST', '/v1/session', { token }, NO_TOKEN);
      assert.equal(res.status, 401, token);
      assertDocumentedAnswer('POST', '/v1/session', res.status, res.body);
      assert.equal(res.body.error.code, 'unauthorized');
      assert.match(res.body.error.message, message);
      assert.deepEqual(
        res.body.error.details.map((d: { field: string }) => d.field),
        ['token'],
      );
      assert.equal(sessionSetCookie(res.headers), undefined, 'no cookie');
    }
    assert.equal(await sessionRows(), before, 'no session was made');
  });

  test('a bad body is a 400 naming the field; a token in the URL or a body that is not JSON is refused', async () => {
    const operator = await stack.mintToken('operator');
    for (const [body, field] of [
      [{}, 'token'],
      [{ token: 5 }, 'token'],
      [{ token: '' }, 'token'],
      [{ token: operator.token, remember: true }, 'remember'],
      [[operator.token], '(body)'],
    ] as const) {
      const res = await stack.request('POST', '/v1/session', body, NO_TOKEN);
      assert.equal(res.status, 400, JSON.stringify(body));
      assertDocumentedAnswer('POST', '/v1/session', res.status, res.body);
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === field),
        `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`,
      );
      assert.equal(sessionSetCookie(res.headers), undefined);
    }
    const inQuery = await stack.request('POST', `/v1/session?token=${operator.token}`, {}, NO_TOKEN);
    assert.equal(inQuery.status, 400);
    assert.equal(inQuery.body.error.details[0].field, 'query');
    assert.match(inQuery.body.error.message, /never in a URL/);
    const form = await postForm('/v1/session', `token=${operator.token}`, {});
    assert.equal(form.status, 415);
    assert.equal(
      (await stack.db.query('SELECT count(*)::int AS n FROM api_sessions WHERE token_id = $1', [operator.id])).rows[0]
        .n,
      0,
    );
  });

  test('a sign-in from another site is refused (login CSRF)', async () => {
    const operator = await stack.mintToken('operator');
    for (const headers of [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ] as Array<Record<string, string>>) {
      const res = await stack.request('POST', '/v1/session', { token: operator.token }, { ...NO_TOKEN, ...headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assertDocumentedAnswer('POST', '/v1/session', res.status, res.body);
      assert.equal(res.body.error.code, 'cross_site_request');
      assert.equal(sessionSetCookie(res.headers), undefined);
    }
    assert.equal(
      (await stack.db.query('SELECT count(*)::int AS n FROM api_sessions WHERE token_id = $1', [operator.id])).rows[0]
        .n,
      0,
    );
  });

  test('a session lasts no longer than its token', async () => {
    const expiresAt = new Date(Date.now() + 30 * 60_000);
    const shortLived = await stack.mintToken('viewer', { expiresAt });
    const browser = await signIn(shortLived.token);
    assert.equal(browser.body.expiresAt, expiresAt.toISOString());
    assert.match(sessionSetCookie((await signInResponse(shortLived.token)).headers)!, /Max-Age=(17\d\d|1800);/);
  });

  test('the deployment sets the lifetime (CAPSTAN_SESSION_HOURS) and a Secure cookie behind a TLS proxy', async () => {
    const app = await serve({ ...stack.deps, session: { hours: 1, secureCookie: true } });
    try {
      const operator = await stack.mintToken('operator');
      const res = await fetch(`${app.url}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: operator.token }),
      });
      const body = (await res.json()) as any;
      const minutes = (Date.parse(body.expiresAt) - Date.now()) / 60_000;
      assert.ok(minutes > 59 && minutes <= 60, `${minutes} min`);
      const line = sessionSetCookie(res.headers)!;
      assert.ok(
        line
          .split(';')
          .map((p) => p.trim())
          .includes('Secure'),
        line,
      );
      const out = await fetch(`${app.url}/v1/session`, {
        method: 'DELETE',
        headers: { cookie: line.split(';')[0]!, 'x-capstan-csrf': body.csrfToken },
      });
      assert.equal(out.status, 204);
      assert.match(sessionSetCookie(out.headers)!, /; Secure/, 'cleared with the attributes it was set with');
    } finally {
      await app.close();
    }
  });
});

/** The raw answer of a same-origin sign-in. */
function signInResponse(token: string): Promise<Response> {
  return fetch(`${stack.baseUrl}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: stack.baseUrl },
    body: JSON.stringify({ token }),
  });
}

describe('changes made with the session cookie', () => {
  test('need the CSRF header: without it 403 csrf_failed and no run; with it 202, audited as the principal', async () => {
    const operator = await stack.mintToken('operator', { principal: 'carol' });
    const browser = await signIn(operator.token);
    const before = await stack.countRuns();
    const missing = await stack.request('POST', '/v1/tasks', TASK, asBrowser(browser));
    assert.equal(missing.status, 403);
    assertDocumentedAnswer('POST', '/v1/tasks', missing.status, missing.body);
    assert.equal(missing.body.error.code, 'csrf_failed');
    assert.match(missing.body.error.message, /X-Capstan-CSRF/);
    const wrong = await stack.request(
      'POST',
      '/v1/tasks',
      TASK,
      asBrowser(browser, false, { 'x-capstan-csrf': `${browser.csrf.slice(0, -1)}x` }),
    );
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'csrf_failed');
    const otherSession = await signIn(operator.token);
    const crossed = await stack.request(
      'POST',
      '/v1/tasks',
      TASK,
      asBrowser(browser, false, { 'x-capstan-csrf': otherSession.csrf }),
    );
    assert.equal(crossed.status, 403, "another session's CSRF token is no good");
    assert.equal(await stack.countRuns(), before, 'nothing started');

    const started = await stack.request(
      'POST',
      '/v1/tasks',
      TASK,
      asBrowser(browser, true, {
        origin: stack.baseUrl,
        'sec-fetch-site': 'same-origin',
        'x-request-id': 'cookie-start',
      }),
    );
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(await stack.countRuns(), before + 1);
    const [row] = await auditRowsOf('cookie-start');
    assert.equal(row.principal, 'carol');
    assert.equal(row.token_id, operator.id);
    assert.equal(row.action, 'task.start');
    assert.equal(row.target, started.body.runId);
    assert.equal(row.outcome, 'succeeded');
    const run = await stack.request('GET', `/v1/runs/${started.body.runId}`, undefined, asBrowser(browser));
    assert.equal(run.body.startedBy, 'carol');
  });

  test("a viewer's session reads, and a forged change from it gets 403 even with the CSRF header", async () => {
    const viewer = await stack.mintToken('viewer', { principal: 'vera' });
    const browser = await signIn(viewer.token);
    assert.equal(browser.body.role, 'viewer');
    assert.equal((await stack.request('GET', '/v1/runs', undefined, asBrowser(browser))).status, 200);
    const before = await stack.countRuns();
    const forged = await stack.request('POST', '/v1/tasks', TASK, asBrowser(browser, true, { 'x-request-id': 'vera' }));
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'forbidden');
    assert.match(forged.body.error.message, /needs the operator role/);
    const tokens = await stack.request('GET', '/v1/tokens', undefined, asBrowser(browser));
    assert.equal(tokens.status, 403);
    assert.equal(await stack.countRuns(), before);
    const [row] = await auditRowsOf('vera');
    assert.equal(row.principal, 'vera');
    assert.equal(row.outcome, 'rejected', "a known principal's refused attempt is on record");
  });

  test('a cross-site form post or request with the cookie is refused and changes nothing', async () => {
    const operator = await stack.mintToken('operator');
    const browser = await signIn(operator.token);
    const before = await stack.countRuns();
    const auditBefore = (await stack.db.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n;
    // What a page of another site can make a browser send: a form post, with the cookie if SameSite were not there.
    const form = await postForm('/v1/tasks', 'nodeClass=a&command=true', {
      cookie: `capstan_session=${browser.cookie}`,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    });
    assert.equal(form.status, 403);
    assert.equal(form.body.error.code, 'cross_site_request');
    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://${new URL(stack.baseUrl).hostname}:1` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site', origin: stack.baseUrl },
    ] as Array<Record<string, string>>) {
      // Even with the CSRF token (say, leaked): the request comes from another site.
      const res = await stack.request('POST', '/v1/tasks', TASK, asBrowser(browser, true, headers));
      assert.equal(res.status, 403, JSON.stringify(headers));
      assertDocumentedAnswer('POST', '/v1/tasks', res.status, res.body);
      assert.equal(res.body.error.code, 'cross_site_request');
    }
    const cancel = await stack.request(
      'POST',
      '/v1/runs/anything/cancel',
      undefined,
      asBrowser(browser, true, { 'sec-fetch-site': 'cross-site' }),
    );
    assert.equal(cancel.status, 403);
    assert.equal(await stack.countRuns(), before, 'nothing started');
    assert.equal(
      (await stack.db.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n,
      auditBefore,
      'a forged request is not written down as the victim acting',
    );
    // Reading from the page of another site's link is not a change; SameSite=Strict keeps the cookie off it anyway.
    assert.equal(
      (await stack.request('GET', '/v1/runs', undefined, asBrowser(browser, false, { 'sec-fetch-site': 'cross-site' })))
        .status,
      200,
    );
  });

  test('a bearer token wins over the cookie and needs no CSRF header (CLI, CI)', async () => {
    const viewer = await stack.mintToken('viewer');
    const browser = await signIn(viewer.token);
    const res = await stack.request('POST', '/v1/tasks', TASK, {
      cookie: `capstan_session=${browser.cookie}`,
      origin: 'https://elsewhere.example',
    });
    assert.equal(res.status, 202, 'as the admin bearer token, not the viewer session');
  });
});

describe('a session ends', () => {
  test('at once when its token is revoked', async () => {
    const operator = await stack.mintToken('operator');
    const browser = await signIn(operator.token);
    assert.equal((await stack.request('GET', '/v1/runs', undefined, asBrowser(browser))).status, 200);
    assert.equal((await stack.request('DELETE', `/v1/tokens/${operator.id}`)).status, 200);
    const next = await stack.request('GET', '/v1/runs', undefined, asBrowser(browser));
    assert.equal(next.status, 401);
    assert.match(next.body.error.message, new RegExp(`token ${operator.id} was revoked`));
    assert.match(
      sessionSetCookie(next.headers) ?? '',
      /^capstan_session=;.*Expires=Thu, 01 Jan 1970/,
      'cookie cleared',
    );
    const before = await stack.countRuns();
    assert.equal((await stack.request('POST', '/v1/tasks', TASK, asBrowser(browser, true))).status, 401);
    assert.equal((await stack.request('GET', '/v1/session', undefined, asBrowser(browser))).status, 401);
    assert.equal(await stack.countRuns(), before);
  });

  test('at sign-out, which needs the CSRF header and clears the cookie', async () => {
    const viewer = await stack.mintToken('viewer', { principal: 'sam' });
    const browser = await signIn(viewer.token);
    const forged = await stack.request('DELETE', '/v1/session', undefined, asBrowser(browser));
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'csrf_failed');
    assert.equal((await stack.request('GET', '/v1/session', undefined, asBrowser(browser))).status, 200, 'still on');
    const out = await stack.request(
      'DELETE',
      '/v1/session',
      undefined,
      asBrowser(browser, true, { 'x-request-id': 'sam-out' }),
    );
    assert.equal(out.status, 204);
    assert.match(sessionSetCookie(out.headers) ?? '', /^capstan_session=;.*Expires=Thu, 01 Jan 1970.*HttpOnly/);
    const after = await stack.request('GET', '/v1/runs', undefined, asBrowser(browser));
    assert.equal(after.status, 401);
    assert.match(after.body.error.message, /session is not known/);
    assert.equal(
      (await stack.db.query('SELECT count(*)::int AS n FROM api_sessions WHERE token_id = $1', [viewer.id])).rows[0].n,
      0,
      'the row is gone',
    );
    const [row] = await auditRowsOf('sam-out');
    assert.equal(row.action, 'session.end');
    assert.equal(row.principal, 'sam');
    // The token itself still works: signing out ends the session, not the token.
    assert.equal(
      (await stack.request('GET', '/v1/runs', undefined, { authorization: `Bearer ${viewer.token}` })).status,
      200,
    );
  });

  test('when it expires', async () => {
    const operator = await stack.mintToken('operator');
    const browser = await signIn(operator.token);
    await stack.db.query("UPDATE api_sessions SET expires_at = now() - interval '1 second' WHERE secret_sha256 = $1", [
      sha256(browser.cookie),
    ]);
    const res = await stack.request('GET', '/v1/runs', undefined, asBrowser(browser));
    assert.equal(res.status, 401);
    assert.match(res.body.error.message, /the session expired at/);
    assert.equal(res.body.error.details[0].field, 'Cookie capstan_session');
    assert.equal((await stack.request('GET', '/v1/session', undefined, asBrowser(browser))).status, 401);
  });

  test('a cookie this API never set is a 401, and signing in again replaces the old session', async () => {
    for (const cookie of ['capstan_session=forged', `capstan_session=${'A'.repeat(43)}`]) {
      const res = await stack.request('GET', '/v1/runs', undefined, { ...NO_TOKEN, cookie });
      assert.equal(res.status, 401, cookie);
      assert.equal(res.body.error.code, 'unauthorized');
    }
    const operator = await stack.mintToken('operator');
    const first = await signIn(operator.token);
    const res = await fetch(`${stack.baseUrl}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `capstan_session=${first.cookie}` },
      body: JSON.stringify({ token: operator.token }),
    });
    assert.equal(res.status, 200);
    assert.equal((await stack.request('GET', '/v1/session', undefined, asBrowser(first))).status, 401);
    assert.equal(
      (await stack.db.query('SELECT count(*)::int AS n FROM api_sessions WHERE token_id = $1', [operator.id])).rows[0]
        .n,
      1,
    );
  });
});

describe('limits', () => {
  test(`a token keeps at most ${MAX_SESSIONS_PER_TOKEN} sessions: signing in past that ends the oldest`, async () => {
    const operator = await stack.mintToken('operator');
    const first = await signIn(operator.token);
    const second = await signIn(operator.token);
    for (let i = 2; i < MAX_SESSIONS_PER_TOKEN; i++) await signIn(operator.token);
    assert.equal((await stack.request('GET', '/v1/session', undefined, asBrowser(first))).status, 200);
    const newest = await signIn(operator.token);
    assert.equal(
      (await stack.request('GET', '/v1/session', undefined, asBrowser(first))).status,
      401,
      'the oldest ended',
    );
    for (const browser of [second, newest])
      assert.equal((await stack.request('GET', '/v1/session', undefined, asBrowser(browser))).status, 200);
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM api_sessions WHERE token_id = $1', [
      operator.id,
    ]);
    assert.equal(rows[0].n, MAX_SESSIONS_PER_TOKEN);
  });

  test("cookie requests count against the token's rate limit", async () => {
    const app = await serve({ ...stack.deps, auth: { ratePerSecond: 0.01, burst: 3 } });
    try {
      const operator = await stack.mintToken('operator');
      const browser = await signIn(operator.token, app.url); // one request of the bucket
      const get = () =>
        fetch(`${app.url}/v1/runs`, { headers: { cookie: `capstan_session=${browser.cookie}` } }).then((r) => r.status);
      assert.equal(await get(), 200);
      assert.equal(await get(), 200);
      assert.equal(await get(), 429);
    } finally {
      await app.close();
    }
  });

  test('wrong tokens at sign-in and forged cookies are throttled per address, as failed bearer tokens are', async () => {
    const app = await serve(stack.deps);
    try {
      const operator = await stack.mintToken('operator');
      const signInWith = (token: string) =>
        fetch(`${app.url}/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        });
      assert.equal((await signInWith(operator.token)).status, 200, 'seen valid by this process');
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) statuses.push((await signInWith(`cap_wrong${i}`)).status);
      assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
      const throttled = await signInWith('cap_wrong-again');
      assert.equal(throttled.status, 429);
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
      assert.equal(((await throttled.json()) as any).error.details[0].field, 'token');
      // Forged cookies from the same address meet the same count; a token seen valid still signs in.
      const forged = await fetch(`${app.url}/v1/runs`, { headers: { cookie: `capstan_session=${'B'.repeat(43)}` } });
      assert.equal(forged.status, 429);
      assert.equal((await signInWith(operator.token)).status, 200);
    } finally {
      await app.close();
    }
  });
});
