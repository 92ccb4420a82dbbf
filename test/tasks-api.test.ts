/** Tasks through the HTTP API against real workers and a real Temporal server. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { assertDocumentedAnswer } from './helpers/openapi-conformance';
import { assertProcessGone } from './helpers/processes';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';
import { waitForFile } from './helpers/wait';

let stack: TestStack;
// A small output-file limit, so the test of it writes 300 kB rather than the 64 MiB default.
before(async () => {
  stack = await startTestStack({ workerEnv: { CAPSTAN_MAX_OUTPUT_BYTES: '262144' } });
});
after(async () => {
  await stack?.stop();
});

async function runTask(spec: Record<string, unknown>, headers?: Record<string, string>): Promise<any> {
  const started = await stack.request('POST', '/v1/tasks', spec, headers);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForRunEnd(stack, started.body.runId);
}

describe('a task that succeeds', () => {
  test('echo hello completes with exit code 0, stdout, worker, attempts and outputs', async () => {
    const run = await runTask({
      nodeClass: 'a',
      name: 'greet',
      command:
        'echo hello; echo "to stderr" >&2; echo "version=1.2.3" >> "$CAPSTAN_OUTPUT"; printf "notes<<EOF\\nline one\\nline two\\nEOF\\n" >> "$CAPSTAN_OUTPUT"',
    });
    assert.equal(run.status, 'completed');
    assert.equal(run.kind, 'task');
    assert.equal(run.name, 'greet');
    assert.equal(run.result.exitCode, 0);
    assert.equal(run.result.stdout, 'hello\n');
    assert.equal(run.result.stderr, 'to stderr\n');
    assert.deepEqual(run.result.outputs, { version: '1.2.3', notes: 'line one\nline two' });
    assert.equal(run.result.attempts, 1);
    assert.match(run.result.worker, /\/a\/\d+$/);
    assert.ok(run.result.durationMs >= 0);
    assert.match(run.webUiUrl, new RegExp(`/workflows/${run.runId}$`));
  });

  test('script, args, env and working directory reach the command in a fresh workspace', async () => {
    const run = await runTask({
      nodeClass: 'a',
      script:
        'set -u\necho "args=$1,$2 greeting=$GREETING"\npwd\nls -A | wc -l\necho "run=$CAPSTAN_RUN_ID" >> "$CAPSTAN_OUTPUT"\necho "leak=${CAPSTAN_TASK_QUEUE_PREFIX:-none} attempt=$CAPSTAN_ATTEMPT" >> "$CAPSTAN_OUTPUT"',
      args: ['one', 'two words'],
      env: { GREETING: 'hi there' },
      workingDirectory: 'sub/dir',
    });
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const [argsLine, cwd, entries] = run.result.stdout.trim().split('\n');
    assert.equal(argsLine, 'args=one,two words greeting=hi there');
    assert.match(cwd, /\/workspace\/sub\/dir$/);
    assert.equal(entries.trim(), '0', 'the workspace starts empty');
    assert.equal(run.result.outputs.run, run.runId);
    assert.equal(run.result.outputs.leak, 'none attempt=1', "the worker's own CAPSTAN_* settings do not reach tasks");
    assert.equal(existsSync(cwd), false, 'the workspace is removed after the attempt');
  });

  test('output beyond the tail limit is truncated to its end, not held whole', async () => {
    const run = await runTask({ nodeClass: 'a', command: 'seq 1 200000' });
    assert.equal(run.status, 'completed');
    assert.equal(run.result.stdoutTruncated, true);
    assert.ok(run.result.stdout.length <= 16_384);
    assert.ok(run.result.stdout.endsWith('199999\n200000\n'));
  });
});

describe('a task that fails', () => {
  test('a non-zero exit fails the run naming the exit code', async () => {
    const run = await runTask({ nodeClass: 'a', command: 'echo boom >&2; exit 3' });
    assert.equal(run.status, 'failed');
    assert.equal(run.failure.type, 'TaskFailed');
    assert.match(run.failure.message, /exited with code 3/);
    assert.equal(run.failure.details.exitCode, 3);
    assert.equal(run.failure.details.stderr, 'boom\n');
    assert.equal(run.failure.details.attempts, 1);
  });

  test("CAPSTAN_ATTEMPT counts the task's attempts across command retries", async () => {
    const run = await runTask({
      nodeClass: 'a',
      command: '[ "$CAPSTAN_ATTEMPT" -ge 3 ]',
      retry: { maxAttempts: 3, initialIntervalSeconds: 0.1 },
    });
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.equal(run.result.attempts, 3);
  });

  test('retries with backoff until the command succeeds, counting attempts', async () => {
    // The counter file lives outside the per-attempt workspace so attempts can see each other.
    const counter = `${stack.dataDir}/retry-counter`;
    const run = await runTask({
      nodeClass: 'a',
      command: `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 3 ]`,
      retry: { maxAttempts: 4, initialIntervalSeconds: 0.2, backoffCoefficient: 2 },
    });
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.equal(run.result.attempts, 3);
    assert.equal(readFileSync(counter, 'utf8').trim(), '3');
  });

  test('gives up after maxAttempts', async () => {
    const run = await runTask({
      nodeClass: 'a',
      command: 'exit 7',
      retry: { maxAttempts: 2, initialIntervalSeconds: 0.1 },
    });
    assert.equal(run.status, 'failed');
    assert.match(run.failure.message, /exited with code 7 \(after 2 attempts\)/);
    assert.equal(run.failure.details.attempts, 2);
  });

  test('a timeout kills the whole process group', async () => {
    const pidFile = `${stack.dataDir}/timeout-child.pid`;
    const run = await runTask({ nodeClass: 'a', command: `sleep 300 & echo $! > ${pidFile}; wait`, timeoutSeconds: 1 });
    assert.equal(run.status, 'failed');
    assert.match(run.failure.message, /timed out/);
    await assertProcessGone(Number(readFileSync(pidFile, 'utf8')));
  });

  test('an output file over CAPSTAN_MAX_OUTPUT_BYTES fails the task instead of being loaded', async () => {
    const run = await runTask({
      nodeClass: 'a',
      command: 'head -c 300000 /dev/zero | tr "\\0" a | sed "s/^/big=/" >> "$CAPSTAN_OUTPUT"',
    });
    assert.equal(run.status, 'failed', JSON.stringify(run));
    assert.match(run.failure.message, /CAPSTAN_OUTPUT is 300004 bytes, over the 262144-byte limit/);
  });

  test('a malformed $CAPSTAN_OUTPUT line fails the task naming the line', async () => {
    const run = await runTask({ nodeClass: 'a', command: 'echo "no equals sign" >> "$CAPSTAN_OUTPUT"' });
    assert.equal(run.status, 'failed');
    assert.match(run.failure.message, /^\$CAPSTAN_OUTPUT line 1: expected "name=value"/);
    assert.equal(run.failure.details.exitCode, 0);
  });
});

describe('cancellation', () => {
  test('cancelling a running task kills its process group and ends the run cancelled', async () => {
    const pidFile = `${stack.dataDir}/cancel-child.pid`;
    const started = await stack.request('POST', '/v1/tasks', {
      nodeClass: 'a',
      command: `sleep 300 & echo $! > ${pidFile}; wait`,
    });
    const runId = started.body.runId;
    await waitForFile(pidFile, 'the task start');
    const live = await stack.request('GET', `/v1/runs/${runId}`);
    assert.equal(live.body.status, 'running');
    assert.equal(live.body.live.phase, 'dispatched');
    const cancel = await stack.request('POST', `/v1/runs/${runId}/cancel`);
    assert.equal(cancel.status, 202);
    const run = await waitForRunEnd(stack, runId);
    assert.equal(run.status, 'cancelled', JSON.stringify(run));
    await assertProcessGone(Number(readFileSync(pidFile, 'utf8')));
    const again = await stack.request('POST', `/v1/runs/${runId}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'run_not_running');
  });
});

describe('reading a running task', () => {
  test('its live state comes from the metered attempts, so it answers while the orchestrator cannot', async () => {
    const pidFile = `${stack.dataDir}/read-model.pid`;
    const started = await stack.request('POST', '/v1/tasks', {
      nodeClass: 'a',
      command: `sleep 300 & echo $! > ${pidFile}; wait`,
    });
    const runId = started.body.runId;
    await waitForFile(pidFile, 'the task start');
    // A stopped orchestrator answers no query; the run itself is untouched and carries on once resumed.
    const orchestrator = stack.orchestrator();
    orchestrator.kill('SIGSTOP');
    let read;
    try {
      read = await stack.request('GET', `/v1/runs/${runId}`);
    } finally {
      orchestrator.kill('SIGCONT');
    }
    assert.equal(read.status, 200);
    assert.equal(read.body.status, 'running');
    assert.deepEqual(
      { phase: read.body.live.phase, commandAttempt: read.body.live.commandAttempt },
      { phase: 'dispatched', commandAttempt: 1 },
      JSON.stringify(read.body),
    );
    assert.equal(read.body.live.attemptsFinished, 0);
    assert.equal(read.body.live.pendingAttempts[0].state, 'started');
    const spans = read.headers.get('server-timing') ?? '';
    assert.match(spans, /attempts;dur=/, 'the ledger was read');
    assert.doesNotMatch(spans, /query;dur=/, 'the workflow was not queried');
    assert.equal((await stack.request('POST', `/v1/runs/${runId}/cancel`)).status, 202);
    assert.equal((await waitForRunEnd(stack, runId)).status, 'cancelled');
    await assertProcessGone(Number(readFileSync(pidFile, 'utf8')));
  });
});

describe('cancellation while backing off', () => {
  test('a run waiting to retry a failed command is cancelled at once', async () => {
    const started = await stack.request('POST', '/v1/tasks', {
      nodeClass: 'a',
      command: 'exit 1',
      retry: { maxAttempts: 3, initialIntervalSeconds: 600, maxIntervalSeconds: 600 },
    });
    const runId = started.body.runId;
    let live;
    for (let i = 0; i < 100; i++) {
      live = (await stack.request('GET', `/v1/runs/${runId}`)).body;
      if (live.live?.phase === 'backing-off') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(live.live.phase, 'backing-off', JSON.stringify(live));
    assert.ok(Date.parse(live.live.nextAttemptAt) > Date.now() + 500_000, 'next attempt is ten minutes away');
    assert.equal((await stack.request('POST', `/v1/runs/${runId}/cancel`)).status, 202);
    const run = await waitForRunEnd(stack, runId, 10_000);
    assert.equal(run.status, 'cancelled');
  });
});

describe('idempotency', () => {
  test('the same Idempotency-Key returns the same run instead of starting another', async () => {
    const spec = { nodeClass: 'a', command: 'echo once' };
    const before = await stack.countRuns();
    const first = await stack.request('POST', '/v1/tasks', spec, { 'Idempotency-Key': 'deploy-42' });
    const second = await stack.request('POST', '/v1/tasks', spec, { 'Idempotency-Key': 'deploy-42' });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.body.runId, first.body.runId);
    assert.equal(first.body.created, true);
    assert.equal(second.body.created, false);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    await waitForRunEnd(stack, first.body.runId);
    const third = await stack.request('POST', '/v1/tasks', spec, { 'Idempotency-Key': 'deploy-42' });
    assert.equal(third.body.runId, first.body.runId, 'a finished run is returned too');
    assert.equal(await stack.countRuns(), before + 1);
  });

  test('the same body with its keys in another order is the same request', async () => {
    const first = await stack.request(
      'POST',
      '/v1/tasks',
      { nodeClass: 'a', command: 'true', env: { A: '1', B: '2' } },
      { 'Idempotency-Key': 'order-1' },
    );
    const second = await stack.request(
      'POST',
      '/v1/tasks',
      { env: { B: '2', A: '1' }, command: 'true', nodeClass: 'a' },
      { 'Idempotency-Key': 'order-1' },
    );
    assert.equal(second.status, 202, JSON.stringify(second.body));
    assert.equal(second.body.runId, first.body.runId);
  });

  test('reusing a key with a different body is rejected and starts nothing', async () => {
    await stack.request('POST', '/v1/tasks', { nodeClass: 'a', command: 'true' }, { 'Idempotency-Key': 'k-1' });
    const before = await stack.countRuns();
    const reused = await stack.request(
      'POST',
      '/v1/tasks',
      { nodeClass: 'a', command: 'false' },
      { 'Idempotency-Key': 'k-1' },
    );
    assert.equal(reused.status, 422);
    assert.equal(reused.body.error.code, 'idempotency_key_reused');
    assert.equal(reused.body.error.details[0].field, 'Idempotency-Key');
    assert.equal(await stack.countRuns(), before);
  });
});

describe('listing runs', () => {
  test('filters by status and kind and pages with a cursor', async () => {
    const failed = await runTask({ nodeClass: 'a', command: 'exit 1', labels: { team: 'platform' } });
    // Visibility catches up with a closed run a moment after it closes.
    let page1 = await stack.request('GET', '/v1/runs?status=failed&kind=task&limit=2');
    for (let i = 0; i < 50 && page1.body.runs[0]?.runId !== failed.runId; i++) {
      await new Promise((r) => setTimeout(r, 100));
      page1 = await stack.request('GET', '/v1/runs?status=failed&kind=task&limit=2');
    }
    assert.equal(page1.status, 200);
    assert.ok(page1.body.runs.length >= 1 && page1.body.runs.length <= 2);
    assert.ok(page1.body.runs.every((r: any) => r.status === 'failed' && r.kind === 'task'));
    assert.equal(page1.body.runs[0].runId, failed.runId, 'the most recently finished failure comes first');
    assert.deepEqual(page1.body.runs[0].labels, { team: 'platform' });
    // Temporal lists running runs first; one that ends between two pages moves and could show twice.
    for (
      let i = 0;
      i < 300 &&
      (await stack.client.workflow.count(`TaskQueue = '${stack.prefix}-orchestrator' AND ExecutionStatus = 'Running'`))
        .count > 0;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await stack.request('GET', `/v1/runs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      all.push(...page.body.runs.map((r: any) => r.runId));
      cursor = page.body.nextCursor;
    } while (cursor);
    // The suite's other files share this Temporal server; their runs are listed too, so judge by this stack's own.
    const mine: string[] = [];
    for await (const info of stack.client.workflow.list({ query: `TaskQueue = '${stack.prefix}-orchestrator'` }))
      mine.push(info.workflowId);
    assert.ok(mine.length > 10);
    for (const runId of mine)
      assert.equal(all.filter((id) => id === runId).length, 1, `${runId} listed exactly once across pages`);
    assert.ok(all.includes(failed.runId));
  });

  test('filters by name prefix and by label over every run, page after page', async () => {
    const tag = `l${Date.now().toString(36)}`;
    const runs = [
      await runTask({ nodeClass: 'a', name: `${tag}-build`, command: 'true', labels: { team: `t-${tag}` } }),
      await runTask({ nodeClass: 'a', name: `${tag}-test`, command: 'true', labels: { team: `t-${tag}`, tier: 'x' } }),
      await runTask({ nodeClass: 'a', name: `other-${tag}`, command: 'true', labels: { tier: 'x' } }),
    ];
    const ids = runs.map((r) => r.runId);
    /** Every run id the filter lists, one run per page, waiting for visibility to catch up with `expected`. */
    const listed = async (filter: string, expected: number): Promise<string[]> => {
      for (let i = 0; ; i++) {
        const all: string[] = [];
        let cursor: string | null = null;
        do {
          const page: any = await stack.request(
            'GET',
            `/v1/runs?limit=1&${filter}${cursor ? `&cursor=${cursor}` : ''}`,
          );
          assert.equal(page.status, 200, JSON.stringify(page.body));
          all.push(...page.body.runs.map((r: any) => r.runId));
          cursor = page.body.nextCursor;
        } while (cursor);
        if (all.length >= expected || i >= 50) return all.sort();
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    assert.deepEqual(await listed(`name=${tag}-`, 2), [ids[0], ids[1]].sort());
    assert.deepEqual(await listed(`name=${tag}-te`, 1), [ids[1]]);
    assert.deepEqual(await listed(`label=team%3Dt-${tag}`, 2), [ids[0], ids[1]].sort());
    // `key` alone finds any value; combined with a name, both hold.
    assert.deepEqual(await listed(`label=tier&name=other-${tag}`, 1), [ids[2]]);
    assert.deepEqual(await listed(`label=team%3Dnobody-${tag}`, 0), []);
    for (const [query, field] of [
      [`name=it's`, 'query.name'],
      ['label=a%5Cb', 'query.label'],
      ['name=', 'query.name'],
    ]) {
      const refused = await stack.request('GET', `/v1/runs?${query}`);
      assert.equal(refused.status, 400, query);
      assert.equal(refused.body.error.details[0].field, field, query);
    }
  });

  test('a cursor that is garbage, or from other filters, is a 400 naming query.cursor', async () => {
    await runTask({ nodeClass: 'a', command: 'true' });
    const first = await stack.request('GET', '/v1/runs?limit=1');
    assert.ok(first.body.nextCursor, 'there is a next page');
    for (const cursor of [
      'zzzz',
      Buffer.from('garbage').toString('base64'),
      `${first.body.nextCursor}&status=failed`,
    ]) {
      const response = await stack.request('GET', `/v1/runs?limit=1&cursor=${cursor}`);
      assert.equal(response.status, 400, cursor);
      assert.equal(response.body.error.details[0].field, 'query.cursor');
    }
  });
});

describe('bad input is rejected, names the field, and starts nothing', () => {
  const cases: Array<[string, unknown, number, string]> = [
    ['malformed JSON', '{"nodeClass": ', 400, '(body)'],
    ['missing command and script', { nodeClass: 'a' }, 400, 'command'],
    ['both command and script', { nodeClass: 'a', command: 'x', script: 'y' }, 400, 'command'],
    ['missing nodeClass', { command: 'echo' }, 400, 'nodeClass'],
    ['empty object: both nodeClass and command named', {}, 400, 'command'],
    ['NUL byte in a command', { nodeClass: 'a', command: 'echo \u0000' }, 400, 'command'],
    ['NUL byte in an argument', { nodeClass: 'a', command: 'echo', args: ['ok', 'a\u0000b'] }, 400, 'args[1]'],
    ['unknown node class', { nodeClass: 'gpu', command: 'echo' }, 400, 'nodeClass'],
    ['negative timeout', { nodeClass: 'a', command: 'echo', timeoutSeconds: -5 }, 400, 'timeoutSeconds'],
    ['wrong-typed field', { nodeClass: 'a', command: 'echo', args: 'not-a-list' }, 400, 'args'],
    [
      'retry interval above its cap',
      { nodeClass: 'a', command: 'echo', retry: { initialIntervalSeconds: 120 } },
      400,
      'retry.initialIntervalSeconds',
    ],
    [
      'wrong-typed nested field',
      { nodeClass: 'a', command: 'echo', retry: { maxAttempts: 'three' } },
      400,
      'retry.maxAttempts',
    ],
    ['bad env name', { nodeClass: 'a', command: 'echo', env: { 'BAD NAME': 'x' } }, 400, 'env.BAD NAME'],
    [
      'escaping working directory',
      { nodeClass: 'a', command: 'echo', workingDirectory: '../../etc' },
      400,
      'workingDirectory',
    ],
    ['unknown field', { nodeClass: 'a', command: 'echo', comand: 'typo' }, 400, 'comand'],
    ['a JSON array', [1, 2], 400, '(body)'],
    ['oversized body', { nodeClass: 'a', command: 'x'.repeat(70 * 1024) }, 413, '(body)'],
  ];
  for (const [name, body, status, field] of cases) {
    test(name, async () => {
      const before = await stack.countRuns();
      const response = await stack.request('POST', '/v1/tasks', body);
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.ok(response.body.error.code, 'has an error code');
      assert.ok(response.body.error.message.length > 0);
      const fields = response.body.error.details.map((d: any) => d.field);
      assert.ok(fields.includes(field), `expected field ${field} in ${JSON.stringify(fields)}`);
      assert.equal(await stack.countRuns(), before, 'no run was created');
    });
  }

  test('a body that is not JSON gets 415', async () => {
    const before = await stack.countRuns();
    const response = await fetch(`${stack.baseUrl}/v1/tasks`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${stack.adminToken}` },
      body: 'echo hi',
    });
    assert.equal(response.status, 415);
    assert.equal(((await response.json()) as any).error.details[0].field, 'Content-Type');
    assert.equal(await stack.countRuns(), before);
  });

  test('a bad list query names the parameter', async () => {
    const response = await stack.request('GET', '/v1/runs?status=sleeping&limit=0');
    assert.equal(response.status, 400);
    const fields = response.body.error.details.map((d: any) => d.field);
    assert.deepEqual(fields.sort(), ['query.limit', 'query.status']);
  });

  test('an unknown run is 404', async () => {
    const response = await stack.request('GET', '/v1/runs/task-does-not-exist');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'run_not_found');
    assert.equal((await stack.request('POST', '/v1/runs/task-does-not-exist/cancel')).status, 404);
  });
});

describe('service endpoints', () => {
  test('healthz, readyz, openapi and metrics answer', async () => {
    assert.equal((await stack.request('GET', '/healthz')).status, 200);
    const ready = await stack.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.temporal, 'reachable');
    const openapi = await stack.request('GET', '/v1/openapi.json');
    assert.equal(openapi.body.openapi, '3.1.0');
    const taskBody = openapi.body.paths['/v1/tasks'].post.requestBody.$ref.replace('#/components/requestBodies/', '');
    const taskSchema = openapi.body.components.requestBodies[taskBody].content['application/json'].schema;
    assert.ok(taskSchema.required.includes('nodeClass'));
    assert.equal(taskSchema.properties.timeoutSeconds.exclusiveMinimum, 0, 'generated from the validating schema');
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    assert.match(metrics, /capstan_runs_started_total\{kind="task"\} \d+/);
    assert.match(metrics, /capstan_http_request_duration_seconds_bucket\{.*route="\/v1\/tasks"/);
    assert.match(metrics, /capstan_http_requests_total\{method="POST",route="\/v1\/tasks",status="400"\}/);
  });
});

describe('answers match the OpenAPI document', () => {
  test('starting, reading, listing, cancelling and refusing: each answer is listed and matches its schema', async () => {
    const check = async (
      method: string,
      path: string,
      template: string,
      body?: unknown,
      headers?: Record<string, string>,
    ) => {
      const answer = await stack.request(method, path, body, headers);
      assertDocumentedAnswer(method, template, answer.status, answer.body);
      return answer;
    };
    const spec = {
      nodeClass: 'a',
      name: 'documented',
      command: 'echo "size=1" >> "$CAPSTAN_OUTPUT"',
      labels: { team: 'docs' },
    };
    const started = await check('POST', '/v1/tasks', '/v1/tasks', spec, { 'Idempotency-Key': 'openapi-conformance' });
    assert.equal(started.status, 202);
    assert.equal(
      (await check('POST', '/v1/tasks', '/v1/tasks', spec, { 'Idempotency-Key': 'openapi-conformance' })).body.created,
      false,
    );
    assert.equal(
      (
        await check(
          'POST',
          '/v1/tasks',
          '/v1/tasks',
          { ...spec, name: 'other' },
          { 'Idempotency-Key': 'openapi-conformance' },
        )
      ).status,
      422,
    );
    await waitForRunEnd(stack, started.body.runId);
    const runPath = `/v1/runs/${started.body.runId}`;
    assert.equal((await check('GET', runPath, '/v1/runs/{id}')).body.status, 'completed');
    assert.equal((await check('GET', `${runPath}/attempts`, '/v1/runs/{id}/attempts')).status, 200);
    assert.equal((await check('POST', `${runPath}/cancel`, '/v1/runs/{id}/cancel')).status, 409);

    const sleeping = await check('POST', '/v1/tasks', '/v1/tasks', { nodeClass: 'a', command: 'sleep 30' });
    const live = await check('GET', `/v1/runs/${sleeping.body.runId}`, '/v1/runs/{id}');
    assert.equal(live.body.status, 'running');
    assert.equal((await check('POST', `/v1/runs/${sleeping.body.runId}/cancel`, '/v1/runs/{id}/cancel')).status, 202);
    assert.equal((await waitForRunEnd(stack, sleeping.body.runId)).status, 'cancelled');
    await check('GET', `/v1/runs/${sleeping.body.runId}`, '/v1/runs/{id}');

    assert.equal((await check('GET', '/v1/runs?limit=5', '/v1/runs')).status, 200);
    assert.equal((await check('GET', '/v1/runs?limit=0', '/v1/runs')).status, 400);
    assert.equal((await check('POST', '/v1/tasks', '/v1/tasks', { command: 'true' })).status, 400);
    assert.equal((await check('GET', '/v1/runs/task-unknown', '/v1/runs/{id}')).status, 404);
    assert.equal((await check('GET', '/v1/runs', '/v1/runs', undefined, { authorization: '' })).status, 401);
    assert.equal((await check('GET', '/v1/node-classes', '/v1/node-classes')).status, 200);
    assert.equal((await check('GET', '/v1/usage', '/v1/usage')).status, 200);
    assert.equal((await check('GET', '/healthz', '/healthz')).status, 200);
    assert.equal((await check('GET', '/readyz', '/readyz')).status, 200);
  });
});
