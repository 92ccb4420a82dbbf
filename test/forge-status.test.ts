/**
 * Commit statuses: the real activity code against a local HTTP server standing in for the GitHub
 * and GitLab APIs (the one remote service a test cannot reach), with repositories in a real PostgreSQL.
 */
import { ApplicationFailure } from '@temporalio/common';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import type { Pool } from 'pg';
import { createForgeActivities } from '../activities/forge';
import { FailureTypes } from '../workflows/contracts/failure-types';
import { createRepository } from '../db/stores/repository-store';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/open';
import { createTestDatabase } from './helpers/database';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

const SHA = '0123456789abcdef0123456789abcdef01234567';
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Pool;
let server: Server;
let api: string;
let received: Received[] = [];
/** What the stand-in answers next: status, body and headers. */
let answer: { status: number; body: string; headers?: Record<string, string> } = { status: 201, body: '{}' };

before(async () => {
  database = await createTestDatabase();
  db = await openDatabase(database.url, createLogger('test-db', 'silent'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: text === '' ? undefined : JSON.parse(text),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body);
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const common = { cloneUrl: '/nowhere', webhookSecret: 'x'.repeat(16), createdBy: 'test' };
  await createRepository(db, {
    ...common,
    name: 'acme/web',
    provider: 'github',
    statusApiUrl: `${api}/api/v3/`,
    statusToken: 'ghp_secret',
  });
  await createRepository(db, {
    ...common,
    name: 'group/sub/app',
    provider: 'gitlab',
    statusApiUrl: `${api}/api/v4`,
    statusToken: 'glpat-secret',
  });
  await createRepository(db, { ...common, name: 'acme/quiet', provider: 'github' });
});

after(async () => {
  await new Promise((r) => server?.close(r));
  await db?.end();
  await database?.drop();
});

beforeEach(() => {
  received = [];
  answer = { status: 201, body: '{"id":1}' };
});

const activities = () => createForgeActivities({ db });

test('GitHub: POST {api}/repos/{owner}/{repo}/statuses/{sha} with a bearer token, the API version and the status as JSON', async () => {
  const result = await activities().reportCommitStatus({
    repository: 'acme/web',
    sha: SHA,
    state: 'success',
    context: 'capstan/web',
    description: 'all 3 jobs passed',
    targetUrl: 'http://capstan.example/runs/r1',
  });
  assert.deepEqual(result, { reported: true });
  assert.equal(received.length, 1);
  const [request] = received;
  assert.equal(request!.method, 'POST');
  assert.equal(request!.url, `/api/v3/repos/acme/web/statuses/${SHA}`);
  assert.equal(request!.headers.authorization, 'Bearer ghp_secret');
  assert.equal(request!.headers.accept, 'application/vnd.github+json');
  assert.equal(request!.headers['x-github-api-version'], '2022-11-28');
  assert.equal(request!.headers['content-type'], 'application/json');
  assert.equal(request!.headers['private-token'], undefined);
  assert.deepEqual(request!.body, {
    state: 'success',
    target_url: 'http://capstan.example/runs/r1',
    description: 'all 3 jobs passed',
    context: 'capstan/web',
  });
});

test('GitHub: a description past 140 characters is cut to 140 with an ellipsis; no target_url when none is given', async () => {
  await activities().reportCommitStatus({
    repository: 'ACME/Web',
    sha: SHA,
    state: 'pending',
    context: 'capstan/web',
    description: 'é'.repeat(200),
  });
  const body = received[0]!.body as Record<string, string>;
  assert.deepEqual(Object.keys(body), ['state', 'description', 'context']);
  assert.equal(Array.from(body.description!).length, 140);
  assert.ok(body.description!.endsWith('…'));
  assert.equal(
    received[0]!.url,
    `/api/v3/repos/acme/web/statuses/${SHA}`,
    'the registered spelling of the name is used',
  );
});

test('GitLab: POST {api}/projects/{encoded path}/statuses/{sha} with PRIVATE-TOKEN; failure is "failed", the context is the name', async () => {
  const result = await activities().reportCommitStatus({
    repository: 'group/sub/app',
    sha: SHA,
    state: 'failure',
    context: 'capstan/app',
    description: 'job build failed',
    targetUrl: 'http://capstan.example/runs/r2',
  });
  assert.deepEqual(result, { reported: true });
  const [request] = received;
  assert.equal(request!.method, 'POST');
  assert.equal(request!.url, `/api/v4/projects/group%2Fsub%2Fapp/statuses/${SHA}`);
  assert.equal(request!.headers['private-token'], 'glpat-secret');
  assert.equal(request!.headers.authorization, undefined);
  assert.equal(request!.headers['content-type'], 'application/json');
  assert.deepEqual(request!.body, {
    state: 'failed',
    name: 'capstan/app',
    description: 'job build failed',
    target_url: 'http://capstan.example/runs/r2',
  });
  for (const [state, expected] of [
    ['pending', 'pending'],
    ['success', 'success'],
  ] as const) {
    await activities().reportCommitStatus({
      repository: 'group/sub/app',
      sha: SHA,
      state,
      context: 'c',
      description: 'd',
    });
    assert.equal((received.at(-1)!.body as { state: string }).state, expected);
  }
});

test('a repository without status_api_url, or not registered, reports nothing and says why', async () => {
  assert.deepEqual(
    await activities().reportCommitStatus({
      repository: 'acme/quiet',
      sha: SHA,
      state: 'pending',
      context: 'c',
      description: 'd',
    }),
    { reported: false, reason: 'repository "acme/quiet" has no status_api_url' },
  );
  assert.deepEqual(
    await activities().reportCommitStatus({
      repository: 'acme/unknown',
      sha: SHA,
      state: 'pending',
      context: 'c',
      description: 'd',
    }),
    { reported: false, reason: 'repository "acme/unknown" is not registered' },
  );
  assert.equal(received.length, 0);
});

async function failure(work: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `not an ApplicationFailure: ${err}`);
    return err;
  }
  assert.fail('expected a failure');
}

test('a 401 (bad token) or 404 (unknown repository) is a non-retryable failure naming the status and the body', async () => {
  for (const status of [401, 404, 422]) {
    answer = { status, body: '{"message":"Bad credentials"}' };
    const err = await failure(
      activities().reportCommitStatus({
        repository: 'acme/web',
        sha: SHA,
        state: 'success',
        context: 'c',
        description: 'd',
      }),
    );
    assert.equal(err.nonRetryable, true, String(status));
    assert.equal(err.type, FailureTypes.forgeStatusRejected);
    assert.match(
      err.message,
      new RegExp(`github answered ${status} to POST .*/statuses/${SHA}: \\{"message":"Bad credentials"\\}`),
    );
    assert.doesNotMatch(err.message, /ghp_secret/, 'the token is never in a message');
  }
});

test('a 500, a 429 and a rate-limited 403 are retryable failures; a malformed sha fails before any request', async () => {
  for (const [status, headers] of [
    [500, {}],
    [502, {}],
    [429, {}],
    [403, { 'x-ratelimit-remaining': '0' }],
    [403, { 'retry-after': '60' }],
  ] as const) {
    answer = { status, body: 'upstream trouble', headers };
    const err = await failure(
      activities().reportCommitStatus({
        repository: 'group/sub/app',
        sha: SHA,
        state: 'pending',
        context: 'c',
        description: 'd',
      }),
    );
    assert.equal(err.nonRetryable, false, `${status} ${JSON.stringify(headers)}`);
    assert.equal(err.type, FailureTypes.forgeStatusUnavailable);
    assert.match(err.message, new RegExp(`gitlab answered ${status} .*: upstream trouble`));
  }
  answer = { status: 403, body: 'forbidden' };
  assert.equal(
    (
      await failure(
        activities().reportCommitStatus({
          repository: 'acme/web',
          sha: SHA,
          state: 'pending',
          context: 'c',
          description: 'd',
        }),
      )
    ).nonRetryable,
    true,
    'a plain 403 is the token lacking rights',
  );
  received = [];
  const bad = await failure(
    activities().reportCommitStatus({
      repository: 'acme/web',
      sha: '../../x',
      state: 'pending',
      context: 'c',
      description: 'd',
    }),
  );
  assert.equal(bad.type, FailureTypes.invalidCommitStatus);
  assert.equal(bad.nonRetryable, true);
  assert.equal(received.length, 0);
});

test('a redirect is not followed (a token header would go along): a non-retryable failure naming where it pointed', async () => {
  answer = { status: 307, body: '', headers: { location: 'http://elsewhere.example/steal' } };
  const err = await failure(
    activities().reportCommitStatus({
      repository: 'group/sub/app',
      sha: SHA,
      state: 'pending',
      context: 'c',
      description: 'd',
    }),
  );
  assert.equal(err.nonRetryable, true);
  assert.match(err.message, /gitlab answered 307 .*: redirected to http:\/\/elsewhere\.example\/steal/);
  assert.equal(received.length, 1);
});

test('a forge that cannot be reached is a retryable failure', async () => {
  const unreachable = createForgeActivities({ db, fetch: () => Promise.reject(new TypeError('fetch failed')) });
  const err = await failure(
    unreachable.reportCommitStatus({
      repository: 'acme/web',
      sha: SHA,
      state: 'pending',
      context: 'c',
      description: 'd',
    }),
  );
  assert.equal(err.nonRetryable, false);
  assert.match(
    err.message,
    /POST http:\/\/127\.0\.0\.1:\d+\/api\/v3\/repos\/acme\/web\/statuses\/.* failed: fetch failed/,
  );
});
