/**
 * Alerts end to end on real Temporal, PostgreSQL and worker processes: the rules evaluated by the
 * Temporal Schedule every 2 s, notifications posted to a local Slack-compatible receiver once when an
 * alert fires and once when it resolves (not once per evaluation, not twice when evaluations or
 * senders race, not lost when a post fails), the API's rule list and history, and bad input refused.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../api/app';
import { alertScheduleId, putAlertsInPlace } from '../api/services/alert-schedule';
import type { AlertSettings } from '../api/services/deps';
import { evaluateAlerts } from '../activities/alerts/evaluate';
import { sendAlertEvents } from '../activities/alerts/notify';
import type { AlertSources } from '../activities/alerts/sources';
import { stopChild } from '../cli/stop-child';
import { loadAlertFile } from '../config/alerts';
import { createLogger } from '../config/logger';
import { recordWorkerReport, type WorkerReport } from '../db/stores/worker-reports';
import { AlertRuleSchema } from '../workflows/contracts/alert-rules';
import { assertDocumentedAnswer } from './helpers/openapi-conformance';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

/** What the receiver was posted: the Slack body's first line says firing or resolved, the rule and the subject. */
interface Post {
  text: string;
  blocks: unknown[];
}

/** A Slack-compatible incoming webhook on a loopback port; `failing` makes it answer 500 (and keep nothing). */
class Receiver {
  readonly posts: Post[] = [];
  failing = false;
  failed = 0;
  private server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (this.failing) {
        this.failed += 1;
        res.writeHead(500).end('down for the test');
        return;
      }
      this.posts.push(JSON.parse(body) as Post);
      res.writeHead(200).end('ok');
    });
  });
  url = '';

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await new Promise((r) => this.server.once('listening', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  /** Posts whose first line is `Alert <firing|resolved>: <rule> · <subject>`. */
  count(what: 'firing' | 'resolved', rule: string, subject: string): number {
    const heading = `Alert ${what}: ${rule} · ${subject}`;
    return this.posts.filter((p) => p.text.split('\n')[0]!.endsWith(heading)).length;
  }
}

const FOR_SECONDS = 6;
const RULES = `
intervalSeconds: 2
nodeClass: a
rules:
  - name: b-no-worker
    kind: no-live-worker
    nodeClass: b
    forSeconds: ${FOR_SECONDS}
  - name: disk-full
    kind: worker-usage
    resource: disk
    overPercent: 90
  - name: memory-full
    kind: worker-usage
    resource: memory
    overPercent: 90
  - name: flaky-dag
    kind: failure-rate
    runKind: dag
    runName: flaky
    windowSeconds: 600
    overPercent: 50
    minRuns: 2
  - name: drift
    kind: stack-drift
`;

const receiver = new Receiver();
let stack: TestStack;
let api: Server;
let baseUrl: string;
let settings: AlertSettings;

/** GET against the app that lists this file's rules, as the admin; checks the answer against the OpenAPI document. */
async function get(path: string, template = path.split('?')[0]!): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
  const body = await response.json();
  assertDocumentedAnswer('GET', template, response.status, body);
  return { status: response.status, body };
}

async function rule(name: string): Promise<any> {
  const { body } = await get('/v1/alerts');
  return body.rules.find((r: any) => r.name === name);
}

/** Polls until `check` holds, failing with `what` after a deadline generous enough for a loaded machine. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the schedule has evaluated `name` `times` more times (its lastEvaluatedAt moved on each time). */
async function evaluationsPass(name: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const last = (await rule(name)).lastEvaluatedAt;
    await until(`rule ${name} is evaluated again`, async () => (await rule(name)).lastEvaluatedAt !== last, 60_000);
  }
}

before(async () => {
  await receiver.start();
  stack = await startTestStack({
    nodeClasses: [
      { name: 'a', concurrency: 2, pricePerHour: 0.1, labels: {} },
      { name: 'b', concurrency: 1, pricePerHour: 0.1, labels: {} },
    ],
    startWorkersFor: ['a'],
    // A stopped worker counts as gone 5 s after its last poll; idle live workers keep no work queued, so this cannot misfire.
    workerEnv: { CAPSTAN_ALERTS_WEBHOOK_URL: receiver.url, CAPSTAN_POLLER_LIVENESS_SECONDS: '5' },
  });
  const rulesFile = join(stack.dataDir, 'alerts.yaml');
  writeFileSync(rulesFile, RULES);
  const loaded = { path: rulesFile, file: loadAlertFile(rulesFile, stack.nodeClasses) };
  // As api/server.ts does at start: the schedule (created, then updated by a second start), and an API listing the rules.
  const put = () => putAlertsInPlace(stack.client, stack.prefix, loaded, stack.nodeClasses, undefined);
  assert.equal((await put()).outcome, 'created');
  const second = await put();
  assert.equal(second.outcome, 'updated');
  settings = second.settings;
  api = createApp({ ...stack.deps, alerts: settings }, createLogger('alerts-test', 'silent')).listen(0, '127.0.0.1');
  await new Promise((r) => api.once('listening', r));
  baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

after(async () => {
  await stack?.client.schedule
    .getHandle(alertScheduleId(stack.prefix))
    .delete()
    .catch(() => undefined);
  await new Promise((r) => api?.close(r));
  await stack?.stop();
  await receiver.stop();
});

describe('alerts', () => {
  test('the API lists every rule of the file with its state', async () => {
    const { body } = await get('/v1/alerts');
    assert.equal(body.intervalSeconds, 2);
    assert.equal(body.scheduleId, alertScheduleId(stack.prefix));
    assert.deepEqual(
      body.rules.map((r: any) => r.name),
      ['b-no-worker', 'disk-full', 'memory-full', 'flaky-dag', 'drift'],
    );
    await until('every rule was evaluated', async () =>
      (await get('/v1/alerts')).body.rules.every((r: any) => r.lastEvaluatedAt !== null),
    );
    const listed = (await get('/v1/alerts')).body.rules;
    for (const r of listed) assert.equal(r.lastError, null, `${r.name}: ${r.lastError}`);
    assert.equal(listed[0].rule.forSeconds, FOR_SECONDS);
  });

  let workerB: ChildProcess;
  test('a class whose one worker is busy, with work queued behind it, does not fire', async () => {
    // A worker with every slot busy stops polling, so Temporal soon shows it stale; its running attempt shows it alive.
    workerB = await stack.startWorker('b');
    const long = await stack.request('POST', '/v1/tasks', { nodeClass: 'b', command: 'sleep 20' });
    const next = await stack.request('POST', '/v1/tasks', { nodeClass: 'b', command: 'true' });
    await until('the long task runs', async () => {
      const open = 'SELECT 1 FROM task_attempts WHERE run_id = $1 AND ended_at IS NULL';
      return (await stack.db.query(open, [long.body.runId])).rowCount === 1;
    });
    // Past the 5 s liveness window and forSeconds, with evaluations every 2 s in between.
    await new Promise((r) => setTimeout(r, 15_000));
    assert.equal(receiver.count('firing', 'b-no-worker', 'b'), 0);
    assert.notEqual((await rule('b-no-worker')).state, 'firing');
    for (const run of [long, next])
      assert.equal((await waitForRunEnd(stack, run.body.runId, 120_000)).status, 'completed');
  });

  test('a class with queued work and no live worker: one firing after forSeconds, one resolved when a worker returns', async () => {
    await stopChild(workerB, 8000);
    const queuedAt = Date.now();
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const started = await stack.request('POST', '/v1/tasks', { nodeClass: 'b', command: 'true' });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      runs.push(started.body.runId);
    }
    await until('the firing notification arrives', () => receiver.count('firing', 'b-no-worker', 'b') > 0);
    const firing = await rule('b-no-worker');
    assert.equal(firing.state, 'firing');
    assert.deepEqual(
      firing.subjects.map((s: any) => [s.subject, s.state]),
      [['b', 'firing']],
    );
    assert.match(firing.subjects[0].message, /node class b: 2 tasks queued .* 0 live workers/);
    // It waited out forSeconds of the condition holding, which began no earlier than the work was queued.
    assert.ok(Date.parse(firing.since) - queuedAt >= (FOR_SECONDS - 1) * 1000, `fired at ${firing.since}`);
    await evaluationsPass('b-no-worker', 3);
    assert.equal(receiver.count('firing', 'b-no-worker', 'b'), 1, 'one notification, not one per evaluation');

    await stack.startWorker('b');
    for (const runId of runs) assert.equal((await waitForRunEnd(stack, runId, 120_000)).status, 'completed');
    await until('the resolved notification arrives', () => receiver.count('resolved', 'b-no-worker', 'b') > 0);
    await evaluationsPass('b-no-worker', 3);
    assert.equal(receiver.count('firing', 'b-no-worker', 'b'), 1);
    assert.equal(receiver.count('resolved', 'b-no-worker', 'b'), 1);
    const resolved = await rule('b-no-worker');
    assert.deepEqual([resolved.state, resolved.subjects], ['ok', []]);

    const { body } = await get('/v1/alerts/history?rule=b-no-worker');
    assert.deepEqual(
      body.events.map((e: any) => e.event),
      ['resolved', 'fired'],
      'newest first',
    );
    assert.equal(body.events[0].firedAt, body.events[1].at);
    for (const e of body.events) assert.ok(e.notifiedAt, `event ${e.id} notified`);
  });

  test('a worker report over the disk threshold fires, and resolves when a report goes under it', async () => {
    const report: WorkerReport = {
      identity: 'alerts-test-host/a/4242',
      nodeClass: 'a',
      host: 'alerts-test-host',
      version: 'test',
      intervalMs: 10_000,
      cpus: 2,
      load1: 0.5,
      load5: 0.5,
      load15: 0.5,
      memoryTotalBytes: 16e9,
      memoryAvailableBytes: 8e9,
      diskPath: '/var/capstan',
      diskTotalBytes: 1000e9,
      diskFreeBytes: 40e9,
      runningAttempts: 0,
      slots: 2,
    };
    await recordWorkerReport(stack.db, report);
    await until('the disk alert fires', () => receiver.count('firing', 'disk-full', report.identity) > 0);
    const disk = await rule('disk-full');
    const subject = disk.subjects.find((s: any) => s.subject === report.identity);
    assert.equal(subject.value, 96);
    assert.match(subject.message, /disk \/var\/capstan 96% used \(limit 90%\)/);
    await evaluationsPass('disk-full', 2);
    assert.equal(receiver.count('firing', 'disk-full', report.identity), 1);
    assert.equal(receiver.count('firing', 'memory-full', report.identity), 0, 'memory at 50% does not fire');

    await recordWorkerReport(stack.db, { ...report, diskFreeBytes: 500e9 });
    await until('the disk alert resolves', () => receiver.count('resolved', 'disk-full', report.identity) > 0);
    await evaluationsPass('disk-full', 2);
    assert.equal(receiver.count('firing', 'disk-full', report.identity), 1);
    assert.equal(receiver.count('resolved', 'disk-full', report.identity), 1);
  });

  test("a DAG's failure rate over the threshold fires after failing runs", async () => {
    const spec = { name: 'flaky', tasks: [{ id: 'fail', nodeClass: 'a', command: 'echo breaking; exit 3' }] };
    for (let i = 0; i < 2; i++) {
      const started = await stack.request('POST', '/v1/dags', spec);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      assert.equal((await waitForRunEnd(stack, started.body.runId, 120_000)).status, 'failed');
    }
    await until('the failure-rate alert fires', () => receiver.count('firing', 'flaky-dag', 'dag/flaky') > 0);
    const flaky = await rule('flaky-dag');
    assert.equal(flaky.state, 'firing');
    assert.match(flaky.subjects[0].message, /dag flaky: 2 of 2 runs ended in the last 600 s failed \(100%/);
    await evaluationsPass('flaky-dag', 2);
    assert.equal(receiver.count('firing', 'flaky-dag', 'dag/flaky'), 1);
  });

  test("a stack's drift found fires, and resolves when a later check finds none", async () => {
    const drift = (drifted: boolean) =>
      JSON.stringify({ drifted, checkedAt: new Date().toISOString(), resources: drifted ? [{}, {}] : [] });
    await stack.db.query(
      `INSERT INTO stacks (project, stack, program, created_by, last_drift, last_drift_at, status)
       VALUES ('shop', 'prod', 'static-site', 'alerts-test', $1, now(), 'active')`,
      [drift(true)],
    );
    await until('the drift alert fires', () => receiver.count('firing', 'drift', 'shop/prod') > 0);
    assert.match((await rule('drift')).subjects[0].message, /stack shop\/prod: drift found, 2 resources changed/);
    await stack.db.query("UPDATE stacks SET last_drift = $1 WHERE project = 'shop'", [drift(false)]);
    await until('the drift alert resolves', () => receiver.count('resolved', 'drift', 'shop/prod') > 0);
    assert.equal(receiver.count('firing', 'drift', 'shop/prod'), 1);
  });

  test('evaluations and senders racing record and post each change once; a failed post is sent later, once', async () => {
    const race = AlertRuleSchema.parse({ name: 'race', kind: 'stack-drift' });
    let drifted = true;
    const sources: AlertSources = {
      figures: async () => ({
        kind: 'stacks',
        stacks: drifted ? [{ project: 'race', stack: 'one', resources: 1, checkedAt: new Date() }] : [],
      }),
    };
    const input = { rules: [race], nodeClasses: ['a', 'b'] };
    const evaluateAtOnce = () => Promise.all([1, 2, 3, 4].map(() => evaluateAlerts(stack.db, sources, input)));
    // The webhook is down while the alert fires: posts fail (here and in the scheduled sender) and are kept.
    receiver.failing = true;
    const first = await evaluateAtOnce();
    assert.equal(
      first.reduce((n, r) => n + r.fired, 0),
      1,
      'one of four concurrent evaluations records the firing',
    );
    await evaluateAtOnce();
    // Whichever sender claims it (this test's or the scheduled one), the post fails and the event stays unsent.
    await sendAlertEvents(stack.db, receiver.url).catch((err: Error) =>
      assert.match(err.message, /webhook answered 500/),
    );
    await until('a post of the firing has failed', async () => {
      const events = (await get('/v1/alerts/history?rule=race')).body.events;
      return events.length === 1 && /webhook answered 500/.test(events[0].notifyError ?? '');
    });
    const kept = (await get('/v1/alerts/history?rule=race')).body.events;
    assert.equal(kept[0].notifiedAt, null);

    receiver.failing = false;
    drifted = false;
    const resolved = await evaluateAtOnce();
    assert.equal(
      resolved.reduce((n, r) => n + r.resolved, 0),
      1,
    );
    await Promise.all([sendAlertEvents(stack.db, receiver.url), sendAlertEvents(stack.db, receiver.url)]);
    await until('both race events are posted', async () =>
      (await get('/v1/alerts/history?rule=race')).body.events.every((e: any) => e.notifiedAt !== null),
    );
    await evaluationsPass('b-no-worker', 2);
    assert.equal(receiver.count('firing', 'race', 'race/one'), 1);
    assert.equal(receiver.count('resolved', 'race', 'race/one'), 1);
    assert.ok(receiver.failed >= 1);
  });

  test('bad query parameters are refused naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/alerts/history?limit=0', 'query.limit'],
      ['/v1/alerts/history?limit=abc', 'query.limit'],
      ['/v1/alerts/history?limit=5000', 'query.limit'],
      ['/v1/alerts/history?rule=Not%20A%20Rule', 'query.rule'],
      ['/v1/alerts/history?severity=high', 'query.severity'],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await get(path, '/v1/alerts/history');
      assert.equal(status, 400, path);
      assert.ok(
        body.error.details.some((d: any) => d.field === field),
        `${path}: ${JSON.stringify(body.error.details)}`,
      );
    }
    const limited = await get('/v1/alerts/history?limit=1');
    assert.equal(limited.body.events.length, 1);
  });

  test('the API refuses to start with a bad rules file, naming the file and the field, and creates no schedule', async () => {
    const badFile = join(stack.dataDir, 'bad-alerts.yaml');
    writeFileSync(
      badFile,
      'rules:\n  - name: disk\n    kind: worker-usage\n    resource: disk\n    overPercent: 250\n',
    );
    const prefix = `${stack.prefix}-bad`;
    const child = spawn(process.execPath, [join(__dirname, '..', 'api', 'server.js')], {
      env: {
        ...process.env,
        CAPSTAN_ALERTS_FILE: badFile,
        CAPSTAN_NODE_CLASSES_FILE: join(stack.dataDir, 'node-classes.yaml'),
        CAPSTAN_TASK_QUEUE_PREFIX: prefix,
        CAPSTAN_DATABASE_URL: stack.databaseUrl,
        CAPSTAN_TEMPORAL_ADDRESS: process.env.CAPSTAN_TEST_TEMPORAL_ADDRESS,
        CAPSTAN_API_PORT: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      new RegExp(`${badFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: rules\\[0\\]\\.overPercent: must be a percentage`),
    );
    await assert.rejects(stack.client.schedule.getHandle(alertScheduleId(prefix)).describe(), /not found/i);
  });
});
