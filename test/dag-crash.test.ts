/** kill -9 of the orchestrator worker and of a node worker in the middle of a 200-task DAG: the run completes and no output is lost. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({
    nodeClasses: [{ name: 'a', concurrency: 8, pricePerHour: 0, labels: {} }],
    startWorkersFor: [], // the test starts (and kills) the only node worker itself
    heartbeatTimeoutSeconds: 3,
    continueAsNewAfterEvents: 2000,
  });
});
after(async () => {
  await stack?.stop();
});

test('a 200-task DAG survives SIGKILL of its orchestrator and node workers', { timeout: 300_000 }, async () => {
  // 20 layers of 10; every task depends on two of the layer before and records its own number.
  const tasks = Array.from({ length: 200 }, (_, i) => {
    const layer = Math.floor(i / 10);
    const dependsOn = layer === 0 ? [] : [`t${(layer - 1) * 10 + (i % 10)}`, `t${(layer - 1) * 10 + ((i + 1) % 10)}`];
    return { id: `t${i}`, nodeClass: 'a', dependsOn, command: `sleep 0.1; echo "n=${i}" >> "$CAPSTAN_OUTPUT"` };
  });
  const started = await stack.request('POST', '/v1/dags', { name: 'crash', maxParallel: 16, tasks });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const runId = started.body.runId;
  let worker = await stack.startWorker('a');

  for (let i = 0; ; i++) {
    const { body } = await stack.request('GET', `/v1/runs/${runId}?limit=1`);
    if ((body.dag?.counts.succeeded ?? 0) >= 40) break;
    assert.ok(i < 600, 'the run never got going');
    await new Promise((r) => setTimeout(r, 100));
  }
  const orchestrator = stack.orchestrator();
  orchestrator.kill('SIGKILL');
  worker.kill('SIGKILL');
  await Promise.all([new Promise((r) => orchestrator.once('exit', r)), new Promise((r) => worker.once('exit', r))]);
  await new Promise((r) => setTimeout(r, 1000));
  await stack.startOrchestrator();
  worker = await stack.startWorker('a');

  const run = await waitForRunEnd(stack, runId, 240_000);
  assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.dag?.counts));
  assert.equal(run.dagResult.counts.succeeded, 200);
  assert.equal(run.dag.nodes.length, 200);
  run.dag.nodes.forEach((node: any, i: number) => assert.equal(node.outputs.n, String(i), `outputs of ${node.key}`));
  assert.ok(
    run.dag.nodes.some((n: any) => n.attempts > 1),
    'tasks that were running on the killed worker ran again',
  );
});
