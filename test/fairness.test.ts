/**
 * Fairness: on a class whose one worker has one slot, team A queues 500 short tasks, then team B one.
 * With the team label as fairness key, B's task starts within a few of A's; without a fairness label,
 * it waits behind A's backlog (measured until 50 of A's tasks started after B was queued, then stopped).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createApp } from '../api/app';
import { stopChild } from '../cli/stop-child';
import { createLogger } from '../config/logger';
import { orchestratorTaskQueue } from '../workflows/contracts/node-class';
import { startTestStack, type TestStack } from './helpers/test-stack';

const A_TASKS = 500;
/** Where the run without fairness stops being watched: this many of A's tasks started after B was queued. */
const FIFO_WATCH = 50;
/**
 * "A few": A's tasks that may start after B was queued and before B. Measured 2-3 on a quiet machine and 11 on one
 * running a second test suite beside this one; first come, first served lets all 50 watched pass B.
 */
const FEW = 20;

let stack: TestStack;
let fifoApi: Server;
const workers: ChildProcess[] = [];

before(async () => {
  stack = await startTestStack({
    nodeClasses: [
      { name: 'fair', concurrency: 1, pricePerHour: 0, labels: {} },
      { name: 'fifo', concurrency: 1, pricePerHour: 0, labels: {} },
    ],
    startWorkersFor: [],
    fairness: { label: 'team', weights: {} },
  });
  // The same stack seen through an API with no fairness label configured (CAPSTAN_FAIRNESS_LABEL unset).
  const { fairness: _f, ...withoutFairness } = stack.deps;
  fifoApi = createApp(withoutFairness, createLogger('api-fifo', 'silent')).listen(0, '127.0.0.1');
  await new Promise((r) => fifoApi.once('listening', r));
});
after(async () => {
  await Promise.all(workers.map((w) => stopChild(w, 8000)));
  await terminateRunning().catch(() => undefined);
  fifoApi?.close();
  await stack?.stop();
});

/** Ends every run of the stack still open (A's rest), in one batch operation on the server. */
async function terminateRunning(): Promise<void> {
  await stack.client.workflowService.startBatchOperation({
    namespace: 'default',
    jobId: `fairness-cleanup-${Date.now()}`,
    reason: 'fairness test: measured',
    visibilityQuery: `TaskQueue = '${orchestratorTaskQueue(stack.prefix)}' AND ExecutionStatus = 'Running'`,
    terminationOperation: { identity: 'fairness-test' },
  });
}

async function post(baseUrl: string, body: object): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 202, text);
  return (JSON.parse(text) as { runId: string }).runId;
}

function lines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

interface Measured {
  /** A's tasks that had started when B was queued. */
  startedBeforeB: number;
  /** A's tasks that started after B was queued and before B; undefined if B had not started when watching stopped. */
  overtook?: number;
  /** A's tasks that started after B was queued, when watching stopped. */
  watched: number;
  /** B's run. */
  bRunId: string;
}

/** Queues A's 500 tasks (8 requests at a time) then B's one on `nodeClass`, and watches the order they start in. */
async function scenario(baseUrl: string, nodeClass: string): Promise<Measured> {
  const file = join(mkdtempSync(join(tmpdir(), 'capstan-fairness-')), 'order');
  workers.push(await stack.startWorker(nodeClass));
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < A_TASKS) {
        next += 1;
        await post(baseUrl, { nodeClass, command: `echo A >> ${file}`, labels: { team: 'team-a' } });
      }
    }),
  );
  const startedBeforeB = lines(file).length;
  const bRunId = await post(baseUrl, { nodeClass, command: `echo B >> ${file}`, labels: { team: 'team-b' } });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const order = lines(file);
    const b = order.indexOf('B');
    if (b >= 0) return { startedBeforeB, overtook: b - startedBeforeB, watched: b - startedBeforeB, bRunId };
    const watched = order.length - startedBeforeB;
    if (watched >= FIFO_WATCH || order.length >= A_TASKS) return { startedBeforeB, watched, bRunId };
    assert.ok(Date.now() < deadline, `only ${order.length} tasks started in 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The fairness keys B's run was started with and its attempt was scheduled with, as its history records them. */
async function recordedKeys(runId: string): Promise<{ run?: string | null; activity?: string | null }> {
  const events = (await stack.client.workflow.getHandle(runId).fetchHistory()).events ?? [];
  const started = events.find((e) => e.workflowExecutionStartedEventAttributes);
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes);
  return {
    run: started?.workflowExecutionStartedEventAttributes?.priority?.fairnessKey,
    activity: scheduled?.activityTaskScheduledEventAttributes?.priority?.fairnessKey,
  };
}

async function stopClass(): Promise<void> {
  // The class's worker stops first so the rest of A's backlog costs nothing while the batch ends it.
  await stopChild(workers.pop()!, 8000);
  await terminateRunning();
}

test("with the team label as fairness key, team B's one task starts within a few of team A's 500", async (t) => {
  const m = await scenario(stack.baseUrl, 'fair');
  t.diagnostic(
    `fair: ${m.startedBeforeB} of A's tasks had started when B was queued; ${m.overtook} more started before B`,
  );
  await stopClass();
  assert.deepEqual(await recordedKeys(m.bRunId), { run: 'team-b', activity: 'team-b' });
  assert.ok(m.startedBeforeB < A_TASKS - 100, `A's backlog had drained (${m.startedBeforeB} started) before B came`);
  assert.notEqual(m.overtook, undefined, `B had not started after ${m.watched} of A's tasks`);
  assert.ok(m.overtook! <= FEW, `${m.overtook} of A's tasks started between B's submission and B`);
});

test("without a fairness label configured, B waits behind A's backlog", async (t) => {
  const m = await scenario(`http://127.0.0.1:${(fifoApi.address() as AddressInfo).port}`, 'fifo');
  t.diagnostic(
    `fifo: ${m.startedBeforeB} of A's tasks had started when B was queued; ${m.watched} more started and B ${m.overtook === undefined ? 'had not' : 'had'}`,
  );
  await stopClass();
  const keys = await recordedKeys(m.bRunId);
  assert.ok(!keys.run && !keys.activity, `B carried a fairness key: ${JSON.stringify(keys)}`);
  assert.ok(m.startedBeforeB < A_TASKS - 100, `A's backlog had drained (${m.startedBeforeB} started) before B came`);
  assert.equal(m.overtook, undefined, `B started after only ${m.overtook} of A's queued tasks`);
  assert.ok(m.watched >= FIFO_WATCH);
});
