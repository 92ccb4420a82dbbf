/**
 * Every task attempt keeps its whole log in the database: read back whole or in part, secrets masked,
 * cut in the middle past the size limit, served by an API that shares no directory with the worker,
 * and removed by retention with the attempt still listed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TaskLogStore } from '../db/stores/task-log-store';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
const ownDataDir = mkdtempSync(join(tmpdir(), 'capstan-elsewhere-'));
before(async () => {
  // Class b's worker is started below with a data directory of its own and a small log limit.
  stack = await startTestStack({ startWorkersFor: ['a'] });
  await stack.startWorker('b', { CAPSTAN_DATA_DIR: ownDataDir, CAPSTAN_LOG_MAX_BYTES: '65536' });
});
after(async () => {
  await stack?.stop();
  rmSync(ownDataDir, { recursive: true, force: true });
});

/** GET with the admin token, the body as text. */
async function getText(path: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${stack.baseUrl}${path}`, { headers: { Authorization: `Bearer ${stack.adminToken}` } });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

async function runTask(spec: Record<string, unknown>): Promise<{ runId: string; run: any }> {
  const started = await stack.request('POST', '/v1/tasks', spec);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return { runId: started.body.runId, run: await waitForRunEnd(stack, started.body.runId) };
}

test(
  'a task log holds stdout and stderr whole, in order, each line with its stream and time',
  { timeout: 60_000 },
  async () => {
    const { runId, run } = await runTask({
      nodeClass: 'a',
      // Two pipes carry the streams, so lines printed within the same instant on both may be read in either
      // order; a pause between them makes the order the command printed them in observable.
      script: [
        'echo "compiling main.c"',
        'sleep 0.1; echo "warning: unused x" >&2',
        'sleep 0.1; echo "linking"',
        'sleep 0.1; echo "error - missing semicolon" >&2',
        'exit 3',
      ].join('\n'),
    });
    assert.equal(run.status, 'failed');
    const whole = await getText(`/v1/runs/${runId}/log`);
    assert.equal(whole.status, 200, whole.text);
    assert.match(whole.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(whole.headers.get('x-capstan-attempt'), '1');
    assert.equal(whole.headers.get('x-capstan-log-state'), 'ended');
    const lines = whole.text.split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'compiling main.c',
      'warning: unused x',
      'linking',
      'error - missing semicolon',
    ]);
    assert.match(lines[4]!, /^\[capstan\] exited with code 3 after \d+ ms$/);

    const stderr = await getText(`/v1/runs/${runId}/log?stream=stderr`);
    assert.equal(stderr.text, 'warning: unused x\nerror - missing semicolon\n');
    const stamped = await getText(`/v1/runs/${runId}/log?timestamps=true&lines=2-3`);
    const [first, second] = stamped.text.trimEnd().split('\n');
    assert.match(first!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z stderr warning: unused x$/);
    assert.match(second!, /^\S+Z stdout linking$/);
    const startedAt = new Date(run.startedAt).getTime();
    const lineTime = new Date(first!.split(' ')[0]!).getTime();
    assert.ok(lineTime >= startedAt - 1000 && lineTime <= Date.now(), `line time ${first} within the run`);
    assert.equal(
      (await getText(`/v1/runs/${runId}/log?tail=2&stream=stderr`)).text,
      'warning: unused x\nerror - missing semicolon\n',
    );
  },
);

test('bad log queries are 400s naming the field; unknown runs and tasks are 404s', { timeout: 60_000 }, async () => {
  const { runId } = await runTask({ nodeClass: 'a', command: 'echo hi' });
  for (const [query, field] of [
    ['attempt=0', 'query.attempt'],
    ['stream=both', 'query.stream'],
    ['lines=9-2', 'query.lines'],
    ['tail=x', 'query.tail'],
    ['follow=yes', 'query.follow'],
    ['lines=1-2&tail=3', 'query.tail'],
    ['colour=red', 'query.colour'],
  ] as const) {
    const answer = await stack.request('GET', `/v1/runs/${runId}/log?${query}`);
    assert.equal(answer.status, 400, query);
    assert.ok(
      answer.body.error.details.some((d: { field: string }) => d.field === field),
      `${query}: ${JSON.stringify(answer.body)}`,
    );
  }
  const resumed = await fetch(`${stack.baseUrl}/v1/runs/${runId}/log?follow=true`, {
    headers: { Authorization: `Bearer ${stack.adminToken}`, 'Last-Event-ID': 'not-an-id' },
  });
  assert.equal(resumed.status, 400);
  assert.equal(
    ((await resumed.json()) as { error: { details: Array<{ field: string }> } }).error.details[0]!.field,
    'Last-Event-ID',
  );
  assert.equal((await stack.request('GET', `/v1/runs/${runId}/log?attempt=2`)).body.error.code, 'log_not_found');
  assert.equal((await stack.request('GET', '/v1/runs/no-such-run/log')).status, 404);
  assert.equal((await stack.request('GET', `/v1/runs/${runId}/tasks/build/log`)).status, 404);
});

test('a DAG task log is read by its key; the run log route says to name the task', { timeout: 60_000 }, async () => {
  const started = await stack.request('POST', '/v1/dags', {
    name: 'logs',
    tasks: [
      { id: 'build', nodeClass: 'a', command: 'echo built' },
      {
        id: 'test',
        nodeClass: 'a',
        dependsOn: ['build'],
        matrix: { n: ['1', '2'] },
        command: 'echo "testing ${{ matrix.n }}"',
      },
    ],
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const runId = started.body.runId;
  const run = await waitForRunEnd(stack, runId);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  const keys = run.dag.nodes.map((n: { key: string }) => n.key).filter((k: string) => k.startsWith('test'));
  assert.equal(keys.length, 2);
  for (const key of keys) {
    const log = await getText(`/v1/runs/${runId}/tasks/${encodeURIComponent(key)}/log`);
    assert.equal(log.status, 200, log.text);
    assert.match(log.text, /^testing [12]\n/);
  }
  assert.equal((await getText(`/v1/runs/${runId}/tasks/build/log?lines=1-1`)).text, 'built\n');
  const asTask = await stack.request('GET', `/v1/runs/${runId}/log`);
  assert.equal(asTask.status, 400);
  assert.equal(asTask.body.error.code, 'not_a_task_run');
});

test('secrets are masked in the stored log, the followed log and the failure', { timeout: 60_000 }, async () => {
  const { runId, run } = await runTask({
    nodeClass: 'a',
    env: { DEPLOY_TOKEN: 'tok-5ecret-value' },
    script: [
      'echo "using $DEPLOY_TOKEN to deploy"',
      'echo "::add-mask::hunter2-password"',
      'echo "the password is hunter2-password"',
      'echo "tok-5ecret-value" >&2',
      'exit 1',
    ].join('\n'),
  });
  const stored = (await getText(`/v1/runs/${runId}/log`)).text;
  assert.ok(!stored.includes('tok-5ecret-value') && !stored.includes('hunter2-password'), stored);
  assert.match(stored, /^using \*\*\* to deploy\n::add-mask::\*\*\*\nthe password is \*\*\*\n\*\*\*\n/);
  const streamed = (await getText(`/v1/runs/${runId}/log?follow=true`)).text;
  assert.match(streamed, /event: log\n/);
  assert.ok(!streamed.includes('tok-5ecret-value') && !streamed.includes('hunter2-password'), streamed);
  assert.ok(streamed.includes('using *** to deploy'), streamed);
  assert.deepEqual(run.failure.logTail.lines, ['***']);
  assert.ok(!JSON.stringify(run).includes('tok-5ecret-value'), 'the run shows no secret');
});

test(
  'a worker with its own data directory writes logs the API serves; past the limit the middle is cut and said',
  { timeout: 90_000 },
  async () => {
    // 200,000 numbered lines (1.3 MB) through a worker keeping 64 KiB per attempt.
    const { runId, run } = await runTask({ nodeClass: 'b', command: 'seq 1 200000' });
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const log = await getText(`/v1/runs/${runId}/log`);
    assert.equal(log.status, 200);
    assert.ok(
      Number(log.headers.get('x-capstan-log-cut-lines')) > 150_000,
      log.headers.get('x-capstan-log-cut-lines') ?? '',
    );
    assert.ok(log.headers.get('x-capstan-worker')?.includes('/b/'));
    const lines = log.text.trimEnd().split('\n');
    assert.equal(lines[0], '1');
    const cut = lines.findIndex((l) => l.startsWith('[capstan]'));
    assert.match(lines[cut]!, /^\[capstan\] \d+ lines \(\d+ bytes\) cut here: an attempt keeps at most 65536 bytes/);
    const lastHead = Number(lines[cut - 1]);
    const firstTail = Number(lines[cut + 1]);
    assert.equal(
      Number(/\] (\d+) lines/.exec(lines[cut]!)![1]),
      firstTail - lastHead - 1,
      'the cut counts the lines left out',
    );
    assert.equal(lines.at(-2), '200000', 'the tail ends with the last line');
    assert.ok(Buffer.byteLength(log.text) < 2 * 65536, `kept ${Buffer.byteLength(log.text)} bytes`);
  },
);

test(
  'retention removes old log lines and keeps the attempt listed, with its metering row',
  { timeout: 60_000 },
  async () => {
    const { runId } = await runTask({ nodeClass: 'a', command: 'echo old news' });
    await stack.db.query(`UPDATE task_logs SET started_at = now() - interval '40 days' WHERE run_id = $1`, [runId]);
    const removed = await new TaskLogStore(stack.db).removeOlderThan(new Date(Date.now() - 30 * 24 * 3600 * 1000));
    assert.ok(removed >= 1);
    const answer = await stack.request('GET', `/v1/runs/${runId}/log`);
    assert.equal(answer.status, 410);
    assert.equal(answer.body.error.code, 'log_removed');
    const metered = await stack.db.query('SELECT outcome FROM task_attempts WHERE run_id = $1', [runId]);
    assert.deepEqual(metered.rows, [{ outcome: 'succeeded' }]);
    const listed = await stack.db.query('SELECT removed_at IS NOT NULL AS removed FROM task_logs WHERE run_id = $1', [
      runId,
    ]);
    assert.deepEqual(listed.rows, [{ removed: true }]);
  },
);
