/**
 * Resource-aware placement: a worker whose class gives 1Gi with concurrency 4 never runs two 768Mi
 * tasks at once (tasks API and DAG), runs two 256Mi tasks together, and a task that can never fit is
 * refused at submit naming `resources.memory`, with nothing started.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({
    nodeClasses: [{ name: 'small', concurrency: 4, pricePerHour: 0, labels: {}, resources: { memory: '1Gi' } }],
  });
});
after(async () => {
  await stack?.stop();
});

/** A command that records when it started and ended (ms), holding `seconds` in between. */
function timed(seconds: number): string {
  return `echo "start=$(date +%s%3N)" >> "$CAPSTAN_OUTPUT"; sleep ${seconds}; echo "end=$(date +%s%3N)" >> "$CAPSTAN_OUTPUT"`;
}

interface Span {
  start: number;
  end: number;
}

function spanOf(outputs: Record<string, string>): Span {
  return { start: Number(outputs.start), end: Number(outputs.end) };
}

function overlap(a: Span, b: Span): boolean {
  return a.start < b.end && b.start < a.end;
}

async function startTogether(bodies: object[]): Promise<string[]> {
  const started = await Promise.all(bodies.map((body) => stack.request('POST', '/v1/tasks', body)));
  for (const s of started) assert.equal(s.status, 202, JSON.stringify(s.body));
  return started.map((s) => s.body.runId as string);
}

async function runTogether(bodies: object[]): Promise<any[]> {
  return Promise.all((await startTogether(bodies)).map((id) => waitForRunEnd(stack, id, 120_000)));
}

/** Whether one of `runIds` shows, in its live attempts, that it waits for resources (its heartbeat says so). */
async function seenWaiting(runIds: string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const id of runIds) {
      const { body } = await stack.request('GET', `/v1/runs/${id}`);
      if (body.live?.pendingAttempts?.some((a: any) => a.heartbeat?.waitingForResources === true)) return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

test('two 768Mi tasks started together on a 1Gi worker never overlap, and the one that waits is not taken for lost', async () => {
  // Longer than the stack's 5 s heartbeat timeout: the waiting attempt must heartbeat to stay alive.
  const ids = await startTogether(
    [1, 2].map(() => ({ nodeClass: 'small', command: timed(6), resources: { memory: '768Mi' } })),
  );
  // The API shows why one of them has not started: its attempt's heartbeat says it waits for resources.
  const waiting = await seenWaiting(ids, 30_000);
  const runs = await Promise.all(ids.map((id) => waitForRunEnd(stack, id, 120_000)));
  assert.ok(waiting, 'no run showed an attempt waiting for resources');
  for (const run of runs) {
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.equal(run.result.attempts, 1, 'the waiting attempt was retried as if its worker were lost');
  }
  const [a, b] = runs.map((run) => spanOf(run.result.outputs)) as [Span, Span];
  assert.ok(!overlap(a, b), `768Mi tasks overlapped: ${JSON.stringify([a, b])}`);
});

test('two 256Mi tasks on the same worker run at the same time', async () => {
  // Each waits (up to 60 s) until the other has started: both succeed only if they ran at once.
  const dir = mkdtempSync(join(tmpdir(), 'capstan-placement-'));
  const meet = (me: string, other: string): string =>
    `echo "start=$(date +%s%3N)" >> "$CAPSTAN_OUTPUT"; touch ${dir}/${me}; ` +
    `for i in $(seq 600); do [ -e ${dir}/${other} ] && break; sleep 0.1; done; ` +
    `echo "end=$(date +%s%3N)" >> "$CAPSTAN_OUTPUT"; [ -e ${dir}/${other} ]`;
  const runs = await runTogether([
    { nodeClass: 'small', command: meet('a', 'b'), resources: { memory: '256Mi' } },
    { nodeClass: 'small', command: meet('b', 'a'), resources: { memory: '256Mi' } },
  ]);
  for (const run of runs) assert.equal(run.status, 'completed', JSON.stringify(run));
  const [a, b] = runs.map((run) => spanOf(run.result.outputs)) as [Span, Span];
  assert.ok(overlap(a, b), `256Mi tasks did not overlap: ${JSON.stringify([a, b])}`);
  assert.equal(runs[0].result.worker, runs[1].result.worker);
});

test('DAG tasks carry their resources to the worker: two parallel 768Mi nodes run one after the other', async () => {
  const started = await stack.request('POST', '/v1/dags', {
    name: 'placement',
    tasks: ['x', 'y'].map((id) => ({ id, nodeClass: 'small', command: timed(3), resources: { memory: '768Mi' } })),
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = await waitForRunEnd(stack, started.body.runId, 120_000);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  const spans = run.dag.nodes.map((n: any) => spanOf(n.outputs)) as [Span, Span];
  assert.ok(!overlap(...spans), `768Mi DAG nodes overlapped: ${JSON.stringify(spans)}`);
});

test('a task asking for more than its class gives is a 400 naming resources.memory, and nothing starts', async () => {
  const before = await stack.countRuns();
  const task = await stack.request('POST', '/v1/tasks', {
    nodeClass: 'small',
    command: 'true',
    resources: { memory: '2Gi' },
  });
  assert.equal(task.status, 400);
  const [issue] = task.body.error.details;
  assert.equal(issue.field, 'resources.memory');
  assert.match(issue.message, /asks for 2Gi of memory, but a worker of node class "small" gives 1Gi/);
  const dag = await stack.request('POST', '/v1/dags', {
    name: 'too-big',
    tasks: [
      { id: 'ok', nodeClass: 'small', command: 'true' },
      { id: 'big', nodeClass: 'small', command: 'true', dependsOn: ['ok'], resources: { memory: '2Gi' } },
    ],
  });
  assert.equal(dag.status, 400);
  assert.deepEqual(
    dag.body.error.details.map((d: { field: string }) => d.field),
    ['tasks[1].resources.memory'],
  );
  const bad = await stack.request('POST', '/v1/tasks', {
    nodeClass: 'small',
    command: 'true',
    resources: { cpu: 'lots' },
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.details[0].field, 'resources.cpu');
  assert.equal(await stack.countRuns(), before);
});
