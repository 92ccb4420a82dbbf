/**
 * Metering: after a DAG with retried, failed and lost attempts, the task_attempts rows match the
 * attempts Temporal's history shows, one row each; usage aggregates them; a database outage delays
 * metering writes but loses none.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'pg';
import { AttemptLedger } from '../db/stores/attempt-ledger';
import { migrate } from '../db/migrate';
import { freePort } from './helpers/ports';
import { startPostgresServer, type PostgresServer } from './helpers/postgres-server';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';
import { waitForFile } from './helpers/wait';

interface HistoryAttempt {
  taskId: string;
  attempt: number;
  outcome: string;
}

/** The attempts a run's history records: each scheduled activity made `attempt` tries (the started event carries the last). */
async function attemptsInHistory(stack: TestStack, runId: string): Promise<HistoryAttempt[]> {
  const history = await stack.client.workflow.getHandle(runId).fetchHistory();
  const scheduled = new Map<string, { taskId: string; attemptsBefore: number }>();
  const tries = new Map<string, number>();
  const attempts: HistoryAttempt[] = [];
  const close = (scheduledId: string, outcome: string): void => {
    const activity = scheduled.get(scheduledId)!;
    const made = tries.get(scheduledId)!;
    for (let i = 1; i <= made; i++) {
      // Earlier tries of one activity were retried by Temporal itself: their worker was lost.
      attempts.push({
        taskId: activity.taskId,
        attempt: activity.attemptsBefore + i,
        outcome: i === made ? outcome : 'lost',
      });
    }
  };
  for (const event of history.events ?? []) {
    const id = String(event.eventId);
    if (event.activityTaskScheduledEventAttributes) {
      const input = defaultPayloadConverter.fromPayload<{ workspaceKey?: string; attemptsBefore?: number }>(
        event.activityTaskScheduledEventAttributes.input!.payloads![0]!,
      );
      scheduled.set(id, { taskId: input.workspaceKey ?? 'task', attemptsBefore: input.attemptsBefore ?? 0 });
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) tries.set(String(started.scheduledEventId), started.attempt ?? 1);
    if (event.activityTaskCompletedEventAttributes)
      close(String(event.activityTaskCompletedEventAttributes.scheduledEventId), 'succeeded');
    if (event.activityTaskFailedEventAttributes)
      close(String(event.activityTaskFailedEventAttributes.scheduledEventId), 'failed');
  }
  return attempts.sort(byTaskAndAttempt);
}

function byTaskAndAttempt(a: { taskId: string; attempt: number }, b: { taskId: string; attempt: number }): number {
  return a.taskId.localeCompare(b.taskId) || a.attempt - b.attempt;
}

describe('metering of a DAG run', () => {
  let stack: TestStack;
  let scratch: string;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'capstan-metering-'));
    stack = await startTestStack({
      nodeClasses: [
        { name: 'a', concurrency: 3, pricePerHour: 0.1, labels: {} },
        { name: 'b', concurrency: 1, pricePerHour: 0.5, labels: {} },
      ],
      startWorkersFor: ['a'],
      heartbeatTimeoutSeconds: 3,
    });
  });
  after(async () => {
    await stack?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test(
    'one row per attempt, as Temporal history shows them, including a worker killed mid-attempt',
    { timeout: 180_000 },
    async () => {
      const quick = { initialIntervalSeconds: 0.2, maxIntervalSeconds: 1 };
      const started = await stack.request('POST', '/v1/dags', {
        name: 'metered',
        failFast: false,
        labels: { team: 'payments' },
        tasks: [
          { id: 'ok', nodeClass: 'a', command: 'echo fine' },
          {
            id: 'flaky',
            nodeClass: 'a',
            command: '[ "$CAPSTAN_ATTEMPT" -ge 2 ] || exit 3',
            retry: { maxAttempts: 3, ...quick },
          },
          { id: 'bad', nodeClass: 'a', command: 'exit 7', retry: { maxAttempts: 2, ...quick } },
          {
            id: 'slow',
            nodeClass: 'b',
            command: `touch "${scratch}/slow-$CAPSTAN_ATTEMPT"; [ "$CAPSTAN_ATTEMPT" -ge 2 ] || sleep 120`,
          },
        ],
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const runId: string = started.body.runId;
      const first = await stack.startWorker('b');
      await waitForFile(join(scratch, 'slow-1'), 'attempt 1 of slow');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      await stack.startWorker('b');

      const run = await waitForRunEnd(stack, runId, 120_000);
      assert.equal(run.status, 'failed');
      assert.ok(existsSync(join(scratch, 'slow-2')), 'slow ran again on the new worker');

      const rows = (
        await stack.db.query(
          'SELECT task_id, attempt, outcome, exit_code, node_class, labels, run_kind, ended_at, duration_ms FROM task_attempts WHERE run_id = $1',
          [runId],
        )
      ).rows;
      const expected = await attemptsInHistory(stack, runId);
      assert.deepEqual(
        rows.map((r) => ({ taskId: r.task_id, attempt: r.attempt, outcome: r.outcome })).sort(byTaskAndAttempt),
        expected,
        'metering rows equal the attempts in history',
      );
      // The history holds what the test set up: 1 + 2 + 2 + 2 attempts, one of them lost.
      assert.deepEqual(
        expected.map((a) => `${a.taskId}#${a.attempt}:${a.outcome}`),
        [
          'bad#1:failed',
          'bad#2:failed',
          'flaky#1:failed',
          'flaky#2:succeeded',
          'ok#1:succeeded',
          'slow#1:lost',
          'slow#2:succeeded',
        ],
      );
      for (const row of rows) {
        assert.ok(row.ended_at !== null && Number(row.duration_ms) >= 0, `${row.task_id}#${row.attempt} is closed`);
        assert.deepEqual(row.labels, { team: 'payments' });
        assert.equal(row.run_kind, 'dag');
      }
      assert.deepEqual(
        rows.filter((r) => r.task_id === 'bad').map((r) => r.exit_code),
        [7, 7],
      );
      assert.equal(rows.find((r) => r.task_id === 'flaky' && r.attempt === 1)!.exit_code, 3);

      const byClass = await stack.request('GET', `/v1/usage?groupBy=nodeClass&runId=${encodeURIComponent(runId)}`);
      assert.equal(byClass.status, 200, JSON.stringify(byClass.body));
      assert.deepEqual(
        byClass.body.groups.map((g: any) => [g.key, g.attempts, g.succeeded, g.failed, g.lost]),
        [
          ['a', 5, 2, 3, 0],
          ['b', 2, 1, 0, 1],
        ],
      );
      const byLabel = await stack.request('GET', '/v1/usage?groupBy=label:team');
      assert.deepEqual(
        byLabel.body.groups.map((g: any) => [g.key, g.attempts]),
        [['payments', 7]],
      );
      assert.ok(
        byLabel.body.totals.wastedSeconds > 0 && byLabel.body.totals.wastedSeconds < byLabel.body.totals.seconds,
      );
      const listed = await stack.request('GET', `/v1/runs/${encodeURIComponent(runId)}/attempts`);
      assert.equal(listed.body.attempts.length, 7);
    },
  );

  test(
    'the ledger: a redelivered start or end changes nothing; an attempt nobody refreshes is closed as lost by the sweep',
    { timeout: 30_000 },
    async () => {
      const ledger = new AttemptLedger(stack.db);
      const t0 = new Date(Date.now() - 120_000);
      const base = {
        runId: 'ledger-run',
        taskId: 't',
        runKind: 'task',
        nodeClass: 'a',
        worker: 'w1',
        activityId: '1',
        labels: {},
      };
      await ledger.recordStart({ ...base, attempt: 1, startedAt: t0 });
      await ledger.recordStart({ ...base, attempt: 1, worker: 'w2', startedAt: new Date() });
      await ledger.recordEnd(
        { ...base, attempt: 1 },
        { outcome: 'failed', endedAt: new Date(t0.getTime() + 1000), exitCode: 1 },
      );
      await ledger.recordEnd({ ...base, attempt: 1 }, { outcome: 'succeeded', endedAt: new Date(), exitCode: 0 });
      await ledger.recordStart({ ...base, attempt: 2, startedAt: t0 });
      await ledger.touch({ ...base, attempt: 2 }, new Date(t0.getTime() + 5000));
      assert.equal(await ledger.closeLost(new Date(Date.now() - 60_000)), 1);
      assert.equal(await ledger.closeLost(new Date(Date.now() - 60_000)), 0);
      const rows = (
        await stack.db.query(
          `SELECT attempt, worker, outcome, exit_code, duration_ms FROM task_attempts WHERE run_id = 'ledger-run' ORDER BY attempt`,
        )
      ).rows;
      assert.deepEqual(
        rows.map((r) => [r.attempt, r.worker, r.outcome, r.exit_code, Number(r.duration_ms)]),
        [
          [1, 'w1', 'failed', 1, 1000],
          [2, 'w1', 'lost', null, 5000], // lost at its last sign of life
        ],
      );
    },
  );

  test(
    'usage rejects a bad query naming the field, and a window in the past holds nothing',
    { timeout: 30_000 },
    async () => {
      const bad = await stack.request('GET', '/v1/usage?groupBy=color');
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /groupBy/);
      const reversed = await stack.request('GET', '/v1/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
      assert.equal(reversed.status, 400);
      assert.match(reversed.body.error.message, /from/);
      const past = await stack.request(
        'GET',
        '/v1/usage?from=2020-01-01T00:00:00Z&to=2020-01-08T00:00:00Z&groupBy=day',
      );
      assert.deepEqual(past.body.groups, []);
    },
  );
});

describe('metering through a database outage', () => {
  let stack: TestStack;
  let postgres: PostgresServer;
  let db: Pool;
  let scratch: string;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'capstan-metering-outage-'));
    // A server of this test's own, so stopping it leaves the suite's server alone.
    postgres = startPostgresServer(await freePort());
    db = new Pool({ connectionString: postgres.url });
    db.on('error', () => undefined);
    await migrate(db);
    stack = await startTestStack({
      workerEnv: { CAPSTAN_DATABASE_URL: postgres.url },
      startWorkersFor: ['a'],
      heartbeatTimeoutSeconds: 3,
    });
  });
  after(async () => {
    await stack?.stop();
    await db?.end();
    postgres?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  test(
    'an end written while the database is down waits for it; a start waits before the command runs',
    { timeout: 120_000 },
    async () => {
      const first = await stack.request('POST', '/v1/tasks', {
        nodeClass: 'a',
        command: `touch "${scratch}/one"; sleep 2`,
      });
      assert.equal(first.status, 202);
      await waitForFile(join(scratch, 'one'));
      postgres.stop();
      // The command is over after 2 s; the attempt holds until its end is recorded.
      await new Promise((r) => setTimeout(r, 5000));
      assert.equal((await stack.request('GET', `/v1/runs/${first.body.runId}`)).body.status, 'running');

      const second = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', command: `touch "${scratch}/two"` });
      await new Promise((r) => setTimeout(r, 3000));
      assert.ok(!existsSync(join(scratch, 'two')), 'no command runs before its start is recorded');
      postgres.start();

      for (const runId of [first.body.runId, second.body.runId]) {
        const run = await waitForRunEnd(stack, runId, 60_000);
        assert.equal(run.status, 'completed');
        const rows = (
          await db.query('SELECT attempt, outcome, duration_ms FROM task_attempts WHERE run_id = $1', [runId])
        ).rows;
        assert.deepEqual(
          rows.map((r) => [r.attempt, r.outcome]),
          [[1, 'succeeded']],
          `one row for ${runId}`,
        );
        assert.equal((await attemptsInHistory(stack, runId)).length, 1, 'history shows one attempt too');
      }
      const duration = Number(
        (await db.query('SELECT duration_ms FROM task_attempts WHERE run_id = $1', [first.body.runId])).rows[0]
          .duration_ms,
      );
      // Timed by the worker when the command ended (2 s, plus up to the log's 2 s close wait while the database is
      // down, plus a loaded machine's delays), not when the database came back 8+ s after the command started.
      assert.ok(duration >= 1900 && duration < 6500, `duration ${duration} ms`);
    },
  );
});
