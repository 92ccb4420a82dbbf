/**
 * The fleet in figures: 50 tasks queued on a class whose single worker has one slot show a backlog and an oldest
 * wait that grow, then drain to 0, in `GET /v1/node-classes` and `/metrics`; the attempt counters and histograms
 * match the tasks run; labels stay bounded; and a source that cannot be read leaves the other metrics served.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Pool } from 'pg';
import { createApp } from '../api/app';
import type { ApiDeps } from '../api/services/deps';
import { createLogger } from '../config/logger';
import { attemptGroups } from '../db/stores/attempt-metrics';
import { costByGroup } from '../db/stores/cost-queries';
import { parsePromText, sampleValue, type PromSample } from './helpers/prom-text';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const CLASS = 'solo';
const TASKS = 50;
const FAILING = 7;
let stack: TestStack;
const runIds: string[] = [];

before(async () => {
  stack = await startTestStack({ nodeClasses: [{ name: CLASS, concurrency: 1, pricePerHour: 36, labels: {} }] });
});
after(async () => {
  await stack?.stop();
});

async function scrape(baseUrl = stack.baseUrl): Promise<PromSample[]> {
  const response = await fetch(`${baseUrl}/metrics`);
  assert.equal(response.status, 200);
  return parsePromText(await response.text());
}

async function soloView(): Promise<any> {
  const { status, body } = await stack.request('GET', '/v1/node-classes');
  assert.equal(status, 200);
  return body.nodeClasses.find((c: any) => c.name === CLASS);
}

/** Polls `read` until `ok` holds for its value, returning that value; the deadline is generous for a loaded machine. */
async function waitFor<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = 180_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not after ${ms} ms; last ${JSON.stringify(last)}`);
}

const metricsBacklog = async () => {
  const samples = await scrape();
  return {
    tasks: sampleValue(samples, 'capstan_node_class_backlog_tasks', { node_class: CLASS }),
    oldest: sampleValue(samples, 'capstan_node_class_oldest_wait_seconds', { node_class: CLASS }),
  };
};

test('50 tasks on a one-slot class: backlog and oldest wait grow, then drain to 0', async (t) => {
  const submittedAt = Date.now();
  const started = await Promise.all(
    Array.from({ length: TASKS }, (_, i) =>
      stack.request('POST', '/v1/tasks', {
        nodeClass: CLASS,
        command: i === FAILING ? 'sleep 0.2; exit 3' : 'sleep 0.2',
      }),
    ),
  );
  for (const s of started) {
    assert.equal(s.status, 202, JSON.stringify(s.body));
    runIds.push(s.body.runId);
  }

  // The API: a backlog, then an oldest wait that grows while the one slot works through it.
  const first = await waitFor(
    'node-classes backlog',
    soloView,
    (v) => (v.backlog?.tasks ?? 0) >= 5 && v.backlog.oldestWaitSeconds > 0,
  );
  t.diagnostic(
    `node-classes showed backlog ${first.backlog.tasks}, oldest wait ${first.backlog.oldestWaitSeconds} s, ` +
      `${Date.now() - submittedAt} ms after the 50 submissions began`,
  );
  assert.equal(first.liveWorkers, 1);
  assert.equal(first.capacity, 1);
  await waitFor(
    'node-classes oldest wait grows',
    soloView,
    (v) => v.backlog.oldestWaitSeconds > first.backlog.oldestWaitSeconds,
  );
  // /metrics: the same figures.
  const seen = await waitFor('metrics backlog', metricsBacklog, (m) => (m.tasks ?? 0) >= 3 && (m.oldest ?? 0) > 0);
  await waitFor('metrics oldest wait grows', metricsBacklog, (m) => (m.oldest ?? 0) > seen.oldest! || m.tasks === 0);

  const runs = await Promise.all(runIds.map((id) => waitForRunEnd(stack, id, 600_000)));
  assert.equal(runs.filter((r) => r.status === 'completed').length, TASKS - 1);
  assert.equal(runs[FAILING].status, 'failed');

  // Temporal caches task-queue statistics for a while: the time from the last run's end to a 0 backlog says how long.
  const endedAt = Date.now();
  const drained = await waitFor('node-classes drained', soloView, (v) => v.backlog?.tasks === 0);
  t.diagnostic(`backlog read 0 in node-classes ${Date.now() - endedAt} ms after the last run ended`);
  assert.equal(drained.backlog.oldestWaitSeconds, 0);
  const metricsDrained = await waitFor('metrics drained', metricsBacklog, (m) => m.tasks === 0);
  assert.equal(metricsDrained.oldest, 0);
});

test('attempts by outcome, duration and queue-wait histograms, runs and cost match the tasks run', async () => {
  const samples = await waitFor(
    'attempt counters',
    scrape,
    (s) =>
      sampleValue(s, 'capstan_task_attempts_total', { node_class: CLASS, outcome: 'succeeded' }) === TASKS - 1 &&
      sampleValue(s, 'capstan_task_attempts_total', { node_class: CLASS, outcome: 'failed' }) === 1,
  );
  const bucket = (name: string, le: string) => sampleValue(samples, `${name}_bucket`, { node_class: CLASS, le });
  for (const name of ['capstan_task_attempt_duration_seconds', 'capstan_task_queue_wait_seconds']) {
    assert.equal(sampleValue(samples, `${name}_count`, { node_class: CLASS }), TASKS, name);
    assert.equal(bucket(name, '+Inf'), TASKS, name);
    const buckets = samples.filter((s) => s.name === `${name}_bucket` && s.labels.node_class === CLASS);
    buckets.forEach((b, i) => i === 0 || assert.ok(b.value >= buckets[i - 1]!.value, `${name} buckets cumulative`));
  }
  // Every attempt ran `sleep 0.2`: none is under 0.1 s, and their sum is at least 50 × 0.2 s.
  assert.equal(bucket('capstan_task_attempt_duration_seconds', '0.1'), 0);
  assert.ok(sampleValue(samples, 'capstan_task_attempt_duration_seconds_sum', { node_class: CLASS })! >= TASKS * 0.2);
  // 50 tasks behind one slot: the later ones waited well over a second.
  assert.ok(bucket('capstan_task_queue_wait_seconds', '1')! < TASKS);
  assert.ok(sampleValue(samples, 'capstan_task_queue_wait_seconds_sum', { node_class: CLASS })! > 1);
  assert.equal(sampleValue(samples, 'capstan_task_attempts_running', { node_class: CLASS }), 0);
  assert.equal(sampleValue(samples, 'capstan_runs_started_total', { kind: 'task' }), TASKS);

  // Cost to date: the cost API's figure for the class.
  const costs = await stack.request('GET', `/v1/costs?groupBy=nodeClass`);
  const micros = costs.body.groups.find((g: any) => g.key === CLASS).totalMicros;
  assert.ok(micros > 0);
  assert.equal(sampleValue(samples, 'capstan_node_class_cost_dollars_total', { node_class: CLASS }), micros / 1e6);
  assert.equal(sampleValue(samples, 'capstan_node_class_live_workers', { node_class: CLASS }), 1);
  assert.equal(sampleValue(samples, 'capstan_node_class_slots', { node_class: CLASS, state: 'free' }), 1);

  // Runs ended come from Temporal visibility once their window settles (about 15 s after they close).
  const ended = await waitFor(
    'runs ended',
    scrape,
    (s) =>
      sampleValue(s, 'capstan_runs_ended_total', { kind: 'task', status: 'completed' }) === TASKS - 1 &&
      sampleValue(s, 'capstan_runs_ended_total', { kind: 'task', status: 'failed' }) === 1,
  );
  // A second API process over the same database and Temporal exposes the same figures.
  const other = await listen(stack.deps);
  try {
    const again = await scrape(other.url);
    for (const [name, labels] of [
      ['capstan_runs_ended_total', { kind: 'task', status: 'completed' }],
      ['capstan_task_attempts_total', { node_class: CLASS, outcome: 'succeeded' }],
      ['capstan_task_queue_wait_seconds_sum', { node_class: CLASS }],
      ['capstan_runs_started_total', { kind: 'task' }],
    ] as const)
      assert.equal(sampleValue(again, name, labels), sampleValue(ended, name, labels), name);
  } finally {
    await other.close();
  }
});

test('labels stay bounded: no run, task or worker identity in any capstan series', async () => {
  const samples = await scrape();
  const view = await soloView();
  const identities = [...runIds, ...view.workers.map((w: any) => w.identity)];
  const allowed = new Set(['node_class', 'outcome', 'kind', 'status', 'state', 'le', 'source', 'method', 'route']);
  const work = samples.filter((s) => s.name.startsWith('capstan_') && !s.name.startsWith('capstan_api_'));
  assert.ok(work.length > 0);
  for (const s of work) {
    for (const [key, value] of Object.entries(s.labels)) {
      assert.ok(allowed.has(key), `${s.name} has label ${key}`);
      assert.ok(!identities.some((id) => value.includes(id)), `${s.name}{${key}="${value}"} names a run or worker`);
    }
  }
  // 50 runs left a handful of series per class, not one per run.
  const attemptSeries = work.filter((s) => s.name.startsWith('capstan_task_'));
  assert.ok(attemptSeries.length < 60, `${attemptSeries.length} task series`);
});

test('a database or Temporal that cannot be read leaves /metrics answering with the other metrics', async () => {
  const deadDb = new Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
  const noDb = await listen({ ...stack.deps, db: deadDb });
  try {
    const samples = await scrape(noDb.url);
    assert.equal(sampleValue(samples, 'capstan_metrics_source_up', { source: 'attempts' }), 0);
    assert.equal(sampleValue(samples, 'capstan_metrics_source_up', { source: 'cost' }), 0);
    assert.ok(sampleValue(samples, 'capstan_metrics_source_errors_total', { source: 'attempts' })! >= 1);
    assert.equal(
      sampleValue(samples, 'capstan_task_attempts_total', { node_class: CLASS, outcome: 'succeeded' }),
      undefined,
    );
    assert.ok(samples.some((s) => s.name === 'capstan_api_process_cpu_seconds_total'));
  } finally {
    await noDb.close();
    await deadDb.end();
  }
  const noTemporal = await listen({ ...stack.deps, namespace: 'capstan-no-such-namespace' });
  try {
    const samples = await scrape(noTemporal.url);
    assert.equal(sampleValue(samples, 'capstan_metrics_source_up', { source: 'node_classes' }), 0);
    assert.equal(sampleValue(samples, 'capstan_metrics_source_up', { source: 'attempts' }), 1);
    assert.equal(sampleValue(samples, 'capstan_node_class_backlog_tasks', { node_class: CLASS }), undefined);
    assert.equal(sampleValue(samples, 'capstan_task_attempts_total', { node_class: CLASS, outcome: 'failed' }), 1);
  } finally {
    await noTemporal.close();
  }
});

test('one scrape over 100,000 metered attempts (figure printed)', async (t) => {
  await stack.db.query(
    `INSERT INTO task_attempts (run_id, task_id, attempt, run_kind, node_class, worker, activity_id, started_at,
       last_seen_at, ended_at, duration_ms, outcome, queue_wait_ms)
     SELECT 'bulk-' || i, 'task', 1, 'task', CASE WHEN i % 3 = 0 THEN 'other' ELSE '${CLASS}' END, 'w', '1',
       now() - interval '1 day', now(), now(), (i % 600) * 1000, CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END, i % 5000
     FROM generate_series(1, 100000) AS i`,
  );
  await stack.db.query('ANALYZE task_attempts');
  const fresh = await listen(stack.deps);
  try {
    const began = performance.now();
    const samples = await scrape(fresh.url);
    const ms = performance.now() - began;
    t.diagnostic(`one /metrics scrape over ${100_000 + TASKS} attempt rows: ${ms.toFixed(0)} ms`);
    const timed = async (fn: () => Promise<unknown>) => {
      const at = performance.now();
      await fn();
      return (performance.now() - at).toFixed(0);
    };
    const groupsMs = await timed(() => attemptGroups(stack.db));
    const costMs = await timed(() =>
      costByGroup(stack.db, {
        from: new Date(0),
        to: new Date(Date.now() + 86_400_000),
        groupBy: 'nodeClass',
        prices: new Map([[CLASS, 36_000_000]]),
        ordered: false,
      }),
    );
    t.diagnostic(`of which the attempt aggregate alone takes ${groupsMs} ms and the cost aggregate ${costMs} ms`);
    const total = samples
      .filter((s) => s.name === 'capstan_task_attempt_duration_seconds_count')
      .reduce((sum, s) => sum + s.value, 0);
    assert.equal(total, 100_000 + TASKS);
    assert.equal(sampleValue(samples, 'capstan_metrics_source_up', { source: 'attempts' }), 1);
  } finally {
    await fresh.close();
  }
});

/** Another API process over `deps` on a loopback port. */
async function listen(deps: ApiDeps): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createApp(deps, createLogger('api-test', 'silent')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r(undefined))),
  };
}
