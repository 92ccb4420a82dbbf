/**
 * Two API processes on one PostgreSQL and one Temporal, each with its own data directory, as behind
 * one load balancer: a client alternating between them sees one rate limit per token, one run per
 * Idempotency-Key sent to both at once, and a run's events stream from either.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stopChild } from '../cli/stop-child';
import { takeFromBucket } from '../db/stores/rate-buckets';
import { freePort } from './helpers/ports';
import { startTestStack, testTemporalAddress, waitForRunEnd, type TestStack } from './helpers/test-stack';

const RATE = 5;
const BURST = 5;

let stack: TestStack;
const apis: Array<{ url: string; process: ChildProcess; dataDir: string }> = [];

before(async () => {
  stack = await startTestStack();
  for (let i = 0; i < 2; i++) apis.push(await startApiProcess(i));
});
after(async () => {
  for (const api of apis) {
    await stopChild(api.process, 5000);
    rmSync(api.dataDir, { recursive: true, force: true });
  }
  await stack?.stop();
});

/** `node dist/api/server.js` as a deployment runs it, sharing only Temporal and PostgreSQL with the other. */
async function startApiProcess(index: number): Promise<{ url: string; process: ChildProcess; dataDir: string }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `capstan-api${index}-`));
  const child = spawn(process.execPath, [join(__dirname, '..', 'api', 'server.js')], {
    env: {
      ...process.env,
      CAPSTAN_TEMPORAL_ADDRESS: testTemporalAddress(),
      CAPSTAN_TASK_QUEUE_PREFIX: stack.prefix,
      CAPSTAN_NODE_CLASSES_FILE: join(stack.dataDir, 'node-classes.yaml'),
      CAPSTAN_DATA_DIR: dataDir,
      CAPSTAN_DATABASE_URL: stack.databaseUrl,
      CAPSTAN_API_HOST: '127.0.0.1',
      CAPSTAN_API_PORT: String(port),
      CAPSTAN_API_RATE_LIMIT_PER_SECOND: String(RATE),
      CAPSTAN_API_RATE_LIMIT_BURST: String(BURST),
      CAPSTAN_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, process: child, dataDir };
    if (child.exitCode !== null) throw new Error(`API process ${index} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`API process ${index} did not become ready within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function call(api: number, method: string, path: string, token: string, body?: unknown, headers = {}) {
  return fetch(`${apis[api]!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test('a token limited to N requests a second gets about N across both processes, not 2N', async () => {
  const { token } = await stack.mintToken('viewer', { principal: 'limited' });
  const seconds = 3;
  const started = Date.now();
  let allowed = 0;
  let limited = 0;
  let sent = 0;
  // 20 requests a second, alternating: each process alone would let through its own RATE a second.
  while (Date.now() - started < seconds * 1000) {
    const answer = await call(sent % 2, 'GET', '/v1/node-classes', token);
    await answer.arrayBuffer();
    if (answer.status === 200) allowed++;
    else if (answer.status === 429) limited++;
    else assert.fail(`unexpected status ${answer.status}`);
    sent++;
    await new Promise((r) => setTimeout(r, 50));
  }
  const elapsed = (Date.now() - started) / 1000;
  const ceiling = BURST + RATE * elapsed;
  assert.ok(limited > 0, `some requests were refused (${allowed} allowed of ${sent})`);
  assert.ok(
    allowed <= ceiling + 1,
    `${allowed} allowed in ${elapsed.toFixed(1)} s; one bucket allows ${ceiling.toFixed(1)}`,
  );
  assert.ok(allowed >= RATE * elapsed - 1, `${allowed} allowed: the limit still lets its rate through`);
});

test('the same Idempotency-Key sent to both processes at once starts one run', async () => {
  const spec = { nodeClass: 'a', command: 'echo once' };
  const before = await stack.countRuns();
  const rounds = 8;
  const runIds: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const key = `both-${round}-${Date.now()}`;
    // A token of its own per round: the processes run with a small rate limit, which the test above is about.
    const { token } = await stack.mintToken('operator', { principal: `starter-${round}` });
    const answers = await Promise.all(
      [0, 1].map((api) =>
        call(api, 'POST', '/v1/tasks', token, spec, { 'Idempotency-Key': key }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { runId: string; created: boolean },
        })),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [202, 202],
      JSON.stringify(answers),
    );
    const runId = answers[0]!.body.runId;
    assert.equal(answers[1]!.body.runId, runId, 'both name the same run');
    assert.deepEqual(answers.map((a) => a.body.created).sort(), [false, true], 'one of them created it');
    // Whichever process lost the race to start must not have removed the row the winner's run relies on.
    const { rows } = await stack.db.query('SELECT 1 FROM runs WHERE run_id = $1', [runId]);
    assert.equal(rows.length, 1, `round ${round}: the run keeps its row in the runs table`);
    runIds.push(runId);
  }
  for (const runId of runIds) assert.equal((await waitForRunEnd(stack, runId)).status, 'completed');
  assert.equal(await stack.countRuns(), before + rounds, 'one run per key');
});

test('a run started through one process streams its events from the other', async () => {
  const { token } = await stack.mintToken('operator', { principal: 'follower' });
  const started = await call(0, 'POST', '/v1/tasks', token, {
    nodeClass: 'a',
    command: 'sleep 1; echo done',
  });
  assert.equal(started.status, 202);
  const { runId } = (await started.json()) as { runId: string };
  const stream = await call(1, 'GET', `/v1/runs/${runId}/events`, token);
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
  const text = await stream.text();
  assert.match(text, /"status":"completed"/, 'the stream ends with the run completed');
});

test('takes from one bucket on many connections at once let exactly its burst through', async () => {
  const key = `burst-${Date.now()}`;
  // Nearly no refill during the test: every request past the burst must be refused, whichever connection it used.
  const takes = await Promise.all(
    Array.from({ length: 40 }, () => takeFromBucket(stack.db, key, { ratePerSecond: 0.001, burst: 10 })),
  );
  assert.equal(takes.filter((t) => t.allowed).length, 10);
  const next = await takeFromBucket(stack.db, key, { ratePerSecond: 0.001, burst: 10 });
  assert.equal(next.allowed, false);
  assert.ok(next.tokens < 1, `the bucket is empty (${next.tokens})`);
});
