/** A Pulumi-class worker that cannot obtain the Pulumi CLI still runs the class's tasks, and stack operations fail saying why. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { testDatabaseAdminUrl } from './helpers/database';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({
    startWorkersFor: ['a'],
    workerEnv: { CAPSTAN_PULUMI_NODE_CLASS: 'a', CAPSTAN_PULUMI_BIN: '/nonexistent/pulumi' },
  });
});
after(async () => {
  await stack?.stop();
});

test('tasks of the class still run; an up fails naming the missing CLI, and the stack records the failure', async () => {
  const task = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', command: 'echo still-working' });
  const taskRun = await waitForRunEnd(stack, task.body.runId);
  assert.equal(taskRun.status, 'completed');
  assert.equal(taskRun.result.stdout, 'still-working\n');

  const config = {
    adminUrl: testDatabaseAdminUrl(),
    database: 'app_nocli',
    role: 'app_nocli',
    password: 'no-cli-password',
  };
  assert.equal(
    (await stack.request('PUT', '/v1/stacks/shop/nocli', { program: 'postgres-database', config })).status,
    201,
  );
  assert.equal((await stack.request('POST', '/v1/stacks/shop/nocli/operations', { operation: 'up' })).status, 202);
  const run = await waitForRunEnd(stack, encodeURIComponent('stack:shop/nocli'), 120_000);
  assert.equal(run.status, 'failed');
  assert.match(
    run.failure.message,
    /this worker has no Pulumi CLI: CAPSTAN_PULUMI_BIN=\/nonexistent\/pulumi is not an executable file/,
  );
  const view = (await stack.request('GET', '/v1/stacks/shop/nocli')).body;
  assert.equal(view.status, 'failed');
  assert.equal(view.lastOperation, 'up');
});
