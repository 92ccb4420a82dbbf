/**
 * A Pulumi-class worker whose Pulumi CLI is still being built (by another process, as on a first
 * `npm start`) runs its class's tasks at once; a stack operation waits for the CLI and then runs.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { claimBuild, type BuildClaim } from '../toolchain/build-lock';
import { cachedPulumiPath } from '../toolchain/pulumi-binary';
import { testDatabaseAdminUrl } from './helpers/database';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const cacheDir = mkdtempSync(join(tmpdir(), 'capstan-pulumi-pending-'));
const target = cachedPulumiPath(cacheDir);
let claim: BuildClaim | undefined;
let stack: TestStack;
before(async () => {
  mkdirSync(join(target, '..'), { recursive: true });
  // This test process "builds" the CLI: the worker finds the claim and waits for the binary instead of building one.
  claim = await claimBuild(target);
  assert.ok(claim, 'the test holds the build claim');
  stack = await startTestStack({
    startWorkersFor: ['a'],
    workerEnv: { CAPSTAN_PULUMI_NODE_CLASS: 'a', CAPSTAN_PULUMI_BIN: undefined, CAPSTAN_CACHE_DIR: cacheDir },
  });
});
after(async () => {
  await claim?.release();
  await stack?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const TITLE = 'tasks run while the CLI is being built; an up waits for it and completes once it is there';

test(TITLE, { timeout: 240_000 }, async () => {
  const pulumi = process.env.CAPSTAN_TEST_PULUMI_BIN;
  assert.ok(pulumi, 'the test runner provides the Pulumi CLI');
  const task = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', command: 'echo before-pulumi' });
  const taskRun = await waitForRunEnd(stack, task.body.runId, 60_000);
  assert.equal(taskRun.status, 'completed');
  assert.equal(taskRun.result.stdout, 'before-pulumi\n');

  const config = {
    adminUrl: testDatabaseAdminUrl(),
    database: 'app_pending',
    role: 'app_pending',
    password: 'pending-pw',
  };
  const declared = await stack.request('PUT', '/v1/stacks/shop/pending', { program: 'postgres-database', config });
  assert.equal(declared.status, 201);
  assert.equal((await stack.request('POST', '/v1/stacks/shop/pending/operations', { operation: 'up' })).status, 202);
  await new Promise((r) => setTimeout(r, 5000));
  const waiting = (await stack.request('GET', `/v1/runs/${encodeURIComponent('stack:shop/pending')}`)).body;
  assert.equal(waiting.status, 'running', `the operation waits for the CLI: ${JSON.stringify(waiting)}`);

  // The "build" finishes: the binary appears whole, and the claim goes.
  copyFileSync(pulumi, `${target}.tmp`);
  renameSync(`${target}.tmp`, target);
  await claim!.release();
  claim = undefined;
  const run = await waitForRunEnd(stack, encodeURIComponent('stack:shop/pending'), 180_000);
  assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run));
  assert.equal(run.stack.result.resourceChanges.create, 3);
});
