/** Node classes route tasks to their own worker pools, and an empty pool is visible and waited for. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
// Class `b` starts with no worker: tasks for it must wait until one appears.
before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
});
after(async () => {
  await stack?.stop();
});

test('GET /v1/node-classes shows each class with its live workers, and an empty pool', async () => {
  const { status, body } = await stack.request('GET', '/v1/node-classes');
  assert.equal(status, 200);
  const byName = Object.fromEntries(body.nodeClasses.map((c: any) => [c.name, c]));
  assert.equal(byName.a.taskQueue, `${stack.prefix}-class-a`);
  assert.equal(byName.a.liveWorkers, 1);
  assert.equal(byName.a.capacity, 2);
  assert.equal(byName.a.pricePerHour, 0.1);
  assert.deepEqual(byName.a.labels, { size: 'small' });
  assert.match(byName.a.workers[0].identity, /\/a\/\d+$/);
  assert.equal(byName.b.liveWorkers, 0);
  assert.deepEqual(byName.b.workers, []);
});

test('a task for a class with no worker waits, says so, and runs on that class once a worker starts', async () => {
  const started = await stack.request('POST', '/v1/tasks', { nodeClass: 'b', command: 'echo on-b' });
  assert.equal(started.status, 202);
  const runId = started.body.runId;
  await new Promise((r) => setTimeout(r, 1500));
  const waiting = await stack.request('GET', `/v1/runs/${runId}`);
  assert.equal(waiting.body.status, 'running');
  assert.equal(waiting.body.live.pendingAttempts[0].state, 'scheduled');
  assert.ok(
    waiting.body.warnings.some((w: string) => w.includes('no worker is polling node class "b"')),
    JSON.stringify(waiting.body.warnings),
  );

  const worker = await stack.startWorker('b');
  const run = await waitForRunEnd(stack, runId);
  assert.equal(run.status, 'completed');
  assert.equal(run.result.stdout, 'on-b\n');
  assert.equal(run.result.worker.split('/').slice(-2).join('/'), `b/${worker.pid}`, 'ran on the b worker');
});

test('with both pools up, each task runs only on a worker of its class', async () => {
  const specs = [
    { nodeClass: 'a', command: 'echo a' },
    { nodeClass: 'b', command: 'echo b' },
    { nodeClass: 'a', command: 'echo a' },
    { nodeClass: 'b', command: 'echo b' },
  ];
  const runIds = await Promise.all(
    specs.map(async (spec) => (await stack.request('POST', '/v1/tasks', spec)).body.runId),
  );
  const runs = await Promise.all(runIds.map((id) => waitForRunEnd(stack, id)));
  runs.forEach((run, i) => {
    assert.equal(run.status, 'completed');
    assert.equal(run.result.worker.split('/').at(-2), specs[i]!.nodeClass);
  });
});
