/** Worker lifecycle: SIGKILL mid-task loses nothing (the attempt is retried elsewhere); SIGTERM lets the attempt finish. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';
import { assertProcessGone } from './helpers/processes';
import { waitForFile } from './helpers/wait';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ startWorkersFor: [], heartbeatTimeoutSeconds: 3 });
});
after(async () => {
  await stack?.stop();
});

test('kill -9 of the node worker during a long task: retried when a worker is back, attempt count shows it', async () => {
  const first = await stack.startWorker('a');
  const marker = join(stack.dataDir, 'attempts');
  const pidFile = join(stack.dataDir, 'first-attempt-pid');
  // The first attempt records itself (and its shell's pid) and runs long; the second finds the record and finishes at once.
  const started = await stack.request('POST', '/v1/tasks', {
    nodeClass: 'a',
    command: `if [ "$CAPSTAN_ATTEMPT" = 1 ]; then echo $$ > ${pidFile}; fi; echo "$CAPSTAN_ATTEMPT" >> ${marker}; if [ "$CAPSTAN_ATTEMPT" = 1 ]; then sleep 60; fi; echo done`,
  });
  const runId = started.body.runId;
  await waitForFile(marker, 'first attempt start');
  const firstCommand = Number(readFileSync(pidFile, 'utf8'));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  // The killed worker's command must not keep running beside the retry: its launcher ends the group when the worker goes.
  await assertProcessGone(firstCommand, 10_000);

  const second = await stack.startWorker('a');
  const run = await waitForRunEnd(stack, runId, 90_000);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  assert.equal(run.result.stdout, 'done\n');
  assert.equal(run.result.attempts, 2);
  assert.equal(run.result.worker.split('/').at(-1), String(second.pid), 'finished on the new worker');
  assert.deepEqual(readFileSync(marker, 'utf8').trim().split('\n'), ['1', '2']);
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));
});

test('SIGTERM shuts a node worker down gracefully: the running attempt finishes first', async () => {
  const worker = await stack.startWorker('a');
  const marker = join(stack.dataDir, 'graceful-started');
  // Shorter than the stack's 2 s shutdown grace, so the attempt can finish while the worker drains.
  const started = await stack.request('POST', '/v1/tasks', {
    nodeClass: 'a',
    command: `touch ${marker}; sleep 1; echo finished`,
  });
  await waitForFile(marker, 'attempt start');
  worker.kill('SIGTERM');
  const exitCode = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
  assert.equal(exitCode, 0, 'the worker exits cleanly');
  const run = await waitForRunEnd(stack, started.body.runId);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  assert.equal(run.result.stdout, 'finished\n');
  assert.equal(run.result.attempts, 1, 'no retry was needed');
  assert.equal(run.result.worker.split('/').at(-1), String(worker.pid));
});

test('a worker stopping past its grace hands the attempt back: it is retried on another worker, not cancelled', async () => {
  const stopping = await stack.startWorker('a');
  const marker = join(stack.dataDir, 'handed-back');
  const started = await stack.request('POST', '/v1/tasks', {
    nodeClass: 'a',
    command: `echo "$CAPSTAN_ATTEMPT" >> ${marker}; if [ "$CAPSTAN_ATTEMPT" = 1 ]; then sleep 60; fi; echo done`,
  });
  await waitForFile(marker, 'attempt start');
  stopping.kill('SIGTERM'); // the stack's grace is 2 s; the command wants 60
  assert.equal(await new Promise<number | null>((resolve) => stopping.once('exit', resolve)), 0);
  const next = await stack.startWorker('a');
  const run = await waitForRunEnd(stack, started.body.runId, 60_000);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  assert.equal(run.result.attempts, 2);
  assert.equal(run.result.worker.split('/').at(-1), String(next.pid));
  assert.deepEqual(readFileSync(marker, 'utf8').trim().split('\n'), ['1', '2']);
  next.kill('SIGTERM');
  await new Promise((r) => next.once('exit', r));
});
