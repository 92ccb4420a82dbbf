/** Task priority: on a node class with one slot, a high-priority task overtakes a queued low-priority backlog. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ nodeClasses: [{ name: 'single', concurrency: 1, pricePerHour: 0, labels: {} }] });
});
after(async () => {
  await stack?.stop();
});

test('a priority-1 task submitted after 20 priority-5 tasks starts before the backlog drains', async () => {
  const backlog: string[] = [];
  for (let i = 0; i < 20; i++) {
    const started = await stack.request('POST', '/v1/tasks', {
      nodeClass: 'single',
      priority: 5,
      command: 'sleep 0.3',
    });
    assert.equal(started.status, 202);
    backlog.push(started.body.runId);
  }
  const urgent = await stack.request('POST', '/v1/tasks', { nodeClass: 'single', priority: 1, command: 'true' });
  const urgentRun = await waitForRunEnd(stack, urgent.body.runId, 60_000);
  assert.equal(urgentRun.status, 'completed');
  const runs = await Promise.all(backlog.map((id) => waitForRunEnd(stack, id, 120_000)));
  const urgentStart = Date.parse(urgentRun.result.startedAt);
  const startedAfter = runs.filter((r) => Date.parse(r.result.startedAt) > urgentStart).length;
  // Without priority the urgent task would start last (after all 20); one slot runs a few before it is even queued.
  assert.ok(startedAfter >= 10, `only ${startedAfter} of 20 backlog tasks started after the urgent one`);
});
