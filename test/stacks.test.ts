/**
 * Pulumi stack operations end to end: the real Pulumi CLI through the Automation API, real
 * PostgreSQL databases and roles, the real dev server, and workers that are really killed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { testDatabaseAdminUrl } from './helpers/database';
import { gitIn } from './helpers/git';
import { historySummaries } from './helpers/history-summaries';
import { scramIsFor } from './helpers/scram';
import { provisionThenConnectDag } from './helpers/provision-then-connect';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
let operatorB: string;
const adminUrl = testDatabaseAdminUrl();

before(async () => {
  stack = await startTestStack({ workerEnv: { CAPSTAN_PULUMI_NODE_CLASS: 'a' }, heartbeatTimeoutSeconds: 5 });
  operatorB = (await stack.mintToken('operator', { principal: 'operator-b' })).token;
});
after(async () => {
  await stack?.stop();
});

const runPath = (runId: string) => `/v1/runs/${encodeURIComponent(runId)}`;
const suffix = () => randomBytes(3).toString('hex');

function dbConfig(id: string, password = 'first-password') {
  return { adminUrl, database: `app_${id}`, role: `app_${id}`, password };
}

async function query<T>(sql: string, params: unknown[] = [], url = adminUrl): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const databaseExists = async (name: string) =>
  (await query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;

/** Whether the role exists with `password`; the test server trusts every login, so the stored SCRAM secret is checked. */
async function hasPassword(role: string, password: string): Promise<boolean> {
  const rows = await query<{ secret: string }>(
    'SELECT rolpassword AS secret FROM pg_authid WHERE rolname = $1 AND rolcanlogin',
    [role],
  );
  return rows[0] !== undefined && scramIsFor(rows[0].secret, password);
}

async function operate(project: string, name: string, body: Record<string, unknown>, token?: string) {
  return stack.request(
    'POST',
    `/v1/stacks/${project}/${name}/operations`,
    body,
    token ? { Authorization: `Bearer ${token}` } : {},
  );
}

/** Waits until the stack's operation reaches `phase` (e.g. waiting for approval). */
async function waitForPhase(runId: string, phase: string, timeoutMs = 90_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await stack.request('GET', runPath(runId));
    if (body.stack?.phase === phase) return body;
    if (body.status !== undefined && body.status !== 'running')
      throw new Error(`run ended before ${phase}: ${JSON.stringify(body)}`);
    if (Date.now() > deadline) throw new Error(`no ${phase} within ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('bad input is refused naming the field, and nothing is declared or run', async () => {
  const unknown = await stack.request('PUT', '/v1/stacks/shop/bad', { program: 'no-such-program' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error.details[0].field, 'program');
  const badConfig = await stack.request('PUT', '/v1/stacks/shop/bad', {
    program: 'postgres-database',
    config: { ...dbConfig('x'), database: 'Not A Name' },
  });
  assert.equal(badConfig.status, 400);
  assert.deepEqual(
    badConfig.body.error.details.map((d: { field: string }) => d.field),
    ['config.database'],
  );
  assert.equal((await stack.request('GET', '/v1/stacks/shop/bad')).status, 404);

  const id = suffix();
  assert.equal(
    (await stack.request('PUT', `/v1/stacks/shop/d${id}`, { program: 'postgres-database', config: dbConfig(id) }))
      .status,
    201,
  );
  const unconfirmed = await operate('shop', `d${id}`, { operation: 'destroy' });
  assert.equal(unconfirmed.status, 400);
  assert.equal(unconfirmed.body.error.details[0].field, 'confirm');
  const wrongConfirm = await operate('shop', `d${id}`, { operation: 'destroy', confirm: 'shop/other' });
  assert.equal(wrongConfirm.status, 400);
  const notDeclared = await operate('shop', 'never-declared', { operation: 'up' });
  assert.equal(notDeclared.status, 404);
  // Nothing ran: no operation ever started on the declared stack.
  const view = await stack.request('GET', `/v1/stacks/shop/d${id}`);
  assert.equal(view.body.lastOperation, null);
  assert.equal(view.body.config.password, '[secret]', 'secret config is never shown');
  const stored = (await stack.db.query('SELECT config FROM stacks WHERE stack = $1', [`d${id}`])).rows[0].config;
  assert.equal(stored.database, `app_${id}`);
  assert.match(stored.password.$sealed, /^v1:/, 'secret config is sealed in the database');
  assert.ok(!JSON.stringify(stored).includes('first-password'));
  assert.equal(view.body.config.adminUrl, '[secret]');
});

test('up creates the database; a config change previews as a diff, approval applies exactly it, a later change makes the apply refuse', async () => {
  const id = suffix();
  const name = `s${id}`;
  const runId = `stack:shop/${name}`;
  assert.equal(
    (
      await stack.request('PUT', `/v1/stacks/shop/${name}`, {
        program: 'postgres-database',
        config: dbConfig(id),
        labels: { team: 'payments' },
      })
    ).status,
    201,
  );

  const up = await operate('shop', name, { operation: 'up' });
  assert.equal(up.status, 202, JSON.stringify(up.body));
  assert.equal(up.body.runId, runId);
  const created = await waitForRunEnd(stack, encodeURIComponent(runId), 120_000);
  assert.equal(created.status, 'completed', JSON.stringify(created));
  // Pulumi counts the stack itself too: the stack, the role and the database.
  assert.equal(created.stack.result.resourceChanges.create, 3);
  assert.equal(
    created.stack.result.outputs.connectionString,
    `capstan-stack-output:shop/${name}:connectionString`,
    'a secret output travels as a reference',
  );
  assert.ok(
    !JSON.stringify(await stack.client.workflow.getHandle(runId).fetchHistory()).includes('first-password'),
    'no secret in the history',
  );
  assert.deepEqual(
    (await historySummaries(stack.client, runId)).map((e) => `${e.type}: ${e.summary}`),
    [
      `recordStackOperation: up shop/${name} (record running)`,
      `previewStack: up shop/${name} (preview)`,
      `applyStack: up shop/${name} (apply)`,
      `recordStackOperation: up shop/${name} (record succeeded)`,
    ],
    'the Web UI names each activity by operation, stack and phase',
  );
  assert.equal(created.stack.result.outputs.database, `app_${id}`);
  assert.ok(await databaseExists(`app_${id}`), 'the database exists in PostgreSQL');
  assert.ok(await hasPassword(`app_${id}`, 'first-password'));
  const afterUp = (await stack.request('GET', `/v1/stacks/shop/${name}`)).body;
  assert.equal(afterUp.status, 'active');
  assert.deepEqual(afterUp.resources.map((r: { type: string }) => r.type).sort(), [
    'pulumi-nodejs:dynamic/postgres:Database',
    'pulumi-nodejs:dynamic/postgres:Role',
  ]);

  // A new password: the preview shows one in-place update of the role, and waits for approval.
  await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: dbConfig(id, 'second-password'),
  });
  const change = await operate('shop', name, { operation: 'up', approval: { timeoutSeconds: 600 } });
  assert.equal(change.status, 202);
  const waiting = await waitForPhase(runId, 'waiting-approval');
  assert.deepEqual(waiting.stack.preview.changeSummary, { same: 2, update: 1 });
  assert.deepEqual(
    waiting.stack.preview.changes.map((c: { type: string; op: string }) => `${c.op} ${c.type}`),
    ['update pulumi-nodejs:dynamic/postgres:Role'],
  );
  assert.ok(await hasPassword(`app_${id}`, 'first-password'), 'nothing applied before approval');

  // The requester may not approve their own change; another operator may.
  const own = await stack.request('POST', `/v1/stacks/shop/${name}/approve`, {});
  assert.equal(own.status, 409);
  assert.match(own.body.error.message, /may not approve/);
  const approved = await stack.request(
    'POST',
    `/v1/stacks/shop/${name}/approve`,
    { comment: 'ok' },
    { Authorization: `Bearer ${operatorB}` },
  );
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const applied = await waitForRunEnd(stack, encodeURIComponent(runId), 120_000);
  assert.equal(applied.status, 'completed', JSON.stringify(applied));
  assert.deepEqual(applied.stack.result.resourceChanges, { same: 2, update: 1 });
  assert.equal(applied.stack.approval.by, 'operator-b');
  assert.ok(await hasPassword(`app_${id}`, 'second-password'), 'the previewed change was applied');

  // Preview a third password, then change the config again before approving: the plan no longer matches.
  await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: dbConfig(id, 'third-password'),
  });
  await operate('shop', name, { operation: 'up', approval: { timeoutSeconds: 600 } });
  await waitForPhase(runId, 'waiting-approval');
  await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: dbConfig(id, 'fourth-password'),
  });
  await stack.request('POST', `/v1/stacks/shop/${name}/approve`, {}, { Authorization: `Bearer ${operatorB}` });
  const refused = await waitForRunEnd(stack, encodeURIComponent(runId), 120_000);
  assert.equal(refused.status, 'failed', JSON.stringify(refused));
  assert.match(refused.failure.message, /changed since the preview/);
  assert.equal(refused.failure.type, 'PlanViolation');
  assert.ok(await hasPassword(`app_${id}`, 'second-password'), 'nothing else was applied');
  assert.equal(await hasPassword(`app_${id}`, 'fourth-password'), false);
});

test('a second operation while one runs gets 409 naming it, or waits in line when asked', async () => {
  const id = suffix();
  const name = `q${id}`;
  const runId = `stack:shop/${name}`;
  await stack.request('PUT', `/v1/stacks/shop/${name}`, { program: 'postgres-database', config: dbConfig(id) });
  await operate('shop', name, { operation: 'up', approval: { timeoutSeconds: 600 } });
  await waitForPhase(runId, 'waiting-approval');

  const busy = await operate('shop', name, { operation: 'refresh' }, operatorB);
  assert.equal(busy.status, 409);
  assert.equal(busy.body.error.code, 'stack_busy');
  assert.match(busy.body.error.message, /up requested by test-admin is running as stack:shop\//);
  const queued = await operate('shop', name, { operation: 'refresh', queue: true }, operatorB);
  assert.equal(queued.status, 202);
  assert.equal(queued.body.queued, true);

  await stack.request('POST', `/v1/stacks/shop/${name}/approve`, {}, { Authorization: `Bearer ${operatorB}` });
  const queuedEnd = await waitForRunEnd(stack, encodeURIComponent(queued.body.runId), 120_000);
  assert.equal(queuedEnd.status, 'completed', JSON.stringify(queuedEnd));
  assert.equal(queuedEnd.stack.operation, 'refresh');
  assert.equal(queuedEnd.stack.phase, 'succeeded');
  const view = (await stack.request('GET', `/v1/stacks/shop/${name}`)).body;
  assert.equal(view.lastOperation, 'refresh', 'the queued refresh ran after the up');
});

test('cancelling an up that waits for approval applies nothing and frees the stack at once', async () => {
  const id = suffix();
  const name = `cancel${id}`;
  const runId = `stack:shop/${name}`;
  await stack.request('PUT', `/v1/stacks/shop/${name}`, { program: 'postgres-database', config: dbConfig(id) });
  await operate('shop', name, { operation: 'up', approval: { timeoutSeconds: 600 } });
  await waitForPhase(runId, 'waiting-approval');
  assert.equal((await stack.request('POST', `${runPath(runId)}/cancel`)).status, 202);
  const cancelled = await waitForRunEnd(stack, encodeURIComponent(runId), 60_000);
  assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled));
  assert.equal(await databaseExists(`app_${id}`), false, 'nothing was applied');
  const view = (await stack.request('GET', `/v1/stacks/shop/${name}`)).body;
  assert.equal(view.lastOperation, 'up');
  assert.equal(view.currentOperation, undefined);
  const next = await operate('shop', name, { operation: 'preview' });
  assert.equal(next.status, 202, 'the stack is free');
  assert.equal((await waitForRunEnd(stack, encodeURIComponent(runId), 120_000)).status, 'completed');
});

test('a database dropped by hand is reported as drift by the scheduled check', async () => {
  const id = suffix();
  const name = `drift${id}`;
  await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: dbConfig(id),
    driftSchedule: '0 3 * * *',
  });
  await operate('shop', name, { operation: 'up' });
  assert.equal((await waitForRunEnd(stack, encodeURIComponent(`stack:shop/${name}`), 120_000)).status, 'completed');

  const schedule = stack.client.schedule.getHandle(`stack-drift:shop/${name}`);
  const described = await schedule.describe();
  assert.equal(
    described.action.type === 'startWorkflow' && described.action.workflowType,
    'stackQueueWorkflow',
    'the schedule exists in Temporal',
  );
  // No drift yet: the scheduled action, triggered now instead of at 03:00.
  await schedule.trigger();
  const clean = await waitForDriftCheck(name, undefined);
  assert.equal(clean.drifted, false, JSON.stringify(clean));

  await query(`DROP DATABASE app_${id} WITH (FORCE)`);
  await schedule.trigger();
  const drift = await waitForDriftCheck(name, clean.checkedAt);
  assert.equal(drift.drifted, true);
  assert.deepEqual(
    drift.resources.map((r: { type: string; op: string }) => `${r.op} ${r.type}`),
    ['delete pulumi-nodejs:dynamic/postgres:Database'],
  );
  // A read-only check: the state still holds the database until someone refreshes or re-applies.
  const view = (await stack.request('GET', `/v1/stacks/shop/${name}`)).body;
  assert.equal(view.resources.length, 2);
  const refused = await stack.request('DELETE', `/v1/stacks/shop/${name}`);
  assert.equal(refused.status, 409, 'a stack holding resources cannot be forgotten');
  assert.match(refused.body.error.message, /destroy it first/);
});

test("a DAG provisions a database, then a task connects with the stack's secret connection string", async () => {
  const id = suffix();
  const name = `dag${id}`;
  await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: dbConfig(id, 'dag-password'),
  });
  const started = await stack.request('POST', '/v1/dags', provisionThenConnectDag('provision-then-use', 'shop', name));
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = await waitForRunEnd(stack, started.body.runId, 180_000);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  const nodes = Object.fromEntries(run.dag.nodes.map((n: { task: string }) => [n.task, n]));
  assert.equal(nodes.db.outputs.database, `app_${id}`);
  assert.equal(nodes.db.outputs.connectionString, `capstan-stack-output:shop/${name}:connectionString`);
  assert.equal(nodes.use.outputs.who, `app_${id}@app_${id}`, 'the task connected as the new role to the new database');
  assert.ok(await databaseExists(`app_${id}`));
  assert.ok(
    !JSON.stringify(await stack.client.workflow.getHandle(started.body.runId).fetchHistory()).includes('dag-password'),
    'no secret in the DAG history',
  );
  const children = (await historySummaries(stack.client, started.body.runId)).filter(
    (e) => e.type === 'stackQueueWorkflow',
  );
  assert.deepEqual(children, [{ type: 'stackQueueWorkflow', summary: `db: up shop/${name}` }]);
});

test('a pipeline provisions a database in one job, and the job that needs it connects with the secret connection string', async () => {
  const id = suffix();
  const name = `pipe${id}`;
  await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: dbConfig(id, 'pipe-password'),
  });
  const T = '$';
  const pipeline = `name: provision-and-use
on: { manual: true }
jobs:
  provision:
    runs-on: a
    outputs:
      url: ${T}{{ steps.db.outputs.connectionString }}
    steps:
      - id: db
        stack: { project: shop, stack: ${name} }
  use:
    runs-on: b
    needs: [provision]
    steps:
      - id: who
        env: { DATABASE_URL: '${T}{{ needs.provision.outputs.url }}' }
        run: |
          psql=$(ls /usr/lib/postgresql/*/bin/psql | head -1)
          echo "who=$("$psql" "$DATABASE_URL" -tAc "select current_user || '@' || current_database()")" >> "$CAPSTAN_OUTPUT"
`;
  const repo = mkdtempSync(join(tmpdir(), 'capstan-stack-pipeline-'));
  try {
    gitIn(repo, 'init', '-q', '-b', 'main');
    mkdirSync(join(repo, '.capstan'));
    writeFileSync(join(repo, '.capstan', 'pipeline.yaml'), pipeline);
    gitIn(repo, 'add', '-A');
    gitIn(repo, 'commit', '-q', '-m', 'pipeline');
    const sha = gitIn(repo, 'rev-parse', 'HEAD');
    const started = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'acme/infra',
      cloneUrl: repo,
      sha,
      branch: 'main',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRunEnd(stack, started.body.runId, 180_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    const [provision, use] = run.pipeline.jobs;
    assert.equal(provision.steps[0].name, `up stack shop/${name}`);
    assert.equal(provision.steps[0].outputs.database, `app_${id}`);
    assert.equal(
      provision.outputs.url,
      `capstan-stack-output:shop/${name}:connectionString`,
      'the secret travels as a reference',
    );
    assert.deepEqual(
      use.steps[0].outputs,
      { who: `app_${id}@app_${id}` },
      'the deploy job connected as the new role to the new database',
    );
    assert.ok(await databaseExists(`app_${id}`));
    assert.ok(
      !JSON.stringify(await stack.client.workflow.getHandle(started.body.runId).fetchHistory()).includes(
        'pipe-password',
      ),
      'no secret in the pipeline history',
    );
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

/** Waits until no Pulumi dynamic-provider process is an orphan (parent PID 1) on this machine. */
async function waitForNoOrphanProviders(): Promise<void> {
  const orphans = (): string[] =>
    execFileSync('ps', ['-eo', 'ppid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => /^\s*1\s/.test(line) && line.includes('pulumi-resource-pulumi-nodejs'));
  const deadline = Date.now() + 60_000;
  while (orphans().length > 0) {
    if (Date.now() > deadline) throw new Error(`orphaned providers still running: ${orphans().join('; ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function waitForDriftCheck(name: string, after: string | undefined): Promise<any> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const view = (await stack.request('GET', `/v1/stacks/shop/${name}`)).body;
    if (
      view.lastDrift &&
      view.lastDrift.checkedAt !== after &&
      view.lastOperation === 'drift' &&
      !view.currentOperation
    )
      return view.lastDrift;
    if (Date.now() > deadline) throw new Error(`no drift check on ${name}: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('a TTL stack is destroyed after expiry and its resources are gone', async () => {
  const id = suffix();
  const name = `ttl${id}`;
  await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: dbConfig(id),
    ttlSeconds: 3600,
  });
  await operate('shop', name, { operation: 'up' });
  assert.equal((await waitForRunEnd(stack, encodeURIComponent(`stack:shop/${name}`), 120_000)).status, 'completed');
  assert.ok(await databaseExists(`app_${id}`));
  // Re-declaring with a short TTL replaces the hour-long timer.
  await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: dbConfig(id),
    ttlSeconds: 2,
  });
  const deadline = Date.now() + 120_000;
  let view: any;
  do {
    await new Promise((r) => setTimeout(r, 500));
    view = (await stack.request('GET', `/v1/stacks/shop/${name}`)).body;
  } while (view.status !== 'destroyed' && Date.now() < deadline);
  assert.equal(view.status, 'destroyed', JSON.stringify(view));
  assert.equal(view.lastOperation, 'destroy');
  assert.deepEqual(view.resources, []);
  assert.equal(await databaseExists(`app_${id}`), false, 'the database is gone');
  assert.deepEqual(await query('SELECT 1 FROM pg_roles WHERE rolname = $1', [`app_${id}`]), [], 'the role is gone');
  // The destroy the timer queued is a stack run like any other.
  const destroyRun = (await stack.request('GET', runPath(`stack:shop/${name}`))).body;
  assert.equal(destroyRun.kind, 'stack');
  assert.equal(destroyRun.stack.operation, 'destroy');
  assert.match(destroyRun.stack.requestedBy, /^ttl/);
  // Destroyed, it can be forgotten: the record goes, and nothing is scheduled for it any more.
  assert.deepEqual((await stack.request('DELETE', `/v1/stacks/shop/${name}`)).body, { deleted: `shop/${name}` });
  assert.equal((await stack.request('GET', `/v1/stacks/shop/${name}`)).status, 404);
  assert.equal((await stack.client.workflow.getHandle(`stack-ttl:shop/${name}`).describe()).status.name, 'COMPLETED');
});

test('a role an interrupted create of this stack left behind is adopted; one somebody else made is not', async () => {
  const id = suffix();
  const name = `adopt${id}`;
  // What a worker killed between CREATE ROLE and Pulumi's checkpoint leaves: the role, with this stack's mark.
  await query(`CREATE ROLE app_${id} LOGIN`);
  await query(`COMMENT ON ROLE app_${id} IS 'managed by capstan stack shop/${name}'`);
  await stack.request('PUT', `/v1/stacks/shop/${name}`, { program: 'postgres-database', config: dbConfig(id) });
  await operate('shop', name, { operation: 'up' });
  const adopted = await waitForRunEnd(stack, encodeURIComponent(`stack:shop/${name}`), 120_000);
  assert.equal(adopted.status, 'completed', JSON.stringify(adopted));
  assert.ok(await hasPassword(`app_${id}`, 'first-password'));

  const other = suffix();
  const otherName = `foreign${other}`;
  await query(`CREATE ROLE app_${other} LOGIN`);
  await stack.request('PUT', `/v1/stacks/shop/${otherName}`, { program: 'postgres-database', config: dbConfig(other) });
  await operate('shop', otherName, { operation: 'up' });
  const refused = await waitForRunEnd(stack, encodeURIComponent(`stack:shop/${otherName}`), 120_000);
  assert.equal(refused.status, 'failed');
  assert.match(refused.failure.message, /already exists/);
  assert.equal(await databaseExists(`app_${other}`), false);
});

test('kill -9 of the worker during up: the operation finishes when a worker returns, the stack is not left locked, state matches what exists', async () => {
  const id = suffix();
  const name = `kill${id}`;
  const runId = `stack:shop/${name}`;
  await stack.request('PUT', `/v1/stacks/shop/${name}`, { program: 'postgres-database', config: dbConfig(id) });
  await operate('shop', name, { operation: 'up' });
  // Kill the worker that runs the apply, as soon as its attempt has started.
  await waitForPhase(runId, 'applying');
  // The attempt in flight, with the engine progress it heartbeats, as GET /v1/runs/:id shows it.
  let attempt: { worker: string; heartbeat?: { phase: string; done: Record<string, number> } } | undefined;
  const deadline = Date.now() + 60_000;
  while (!attempt?.heartbeat) {
    const run = (await stack.request('GET', runPath(runId))).body;
    assert.ok(
      run.status === 'running' && Date.now() < deadline,
      `no heartbeat seen while the apply ran: ${JSON.stringify(run)}`,
    );
    attempt = run.live?.pendingAttempts?.find((a: { state: string }) => a.state === 'started');
    if (!attempt?.heartbeat) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(attempt.heartbeat.phase, 'applying');
  assert.equal(typeof attempt.heartbeat.done, 'object');
  const worker = attempt.worker;
  process.kill(Number(worker.split('/').at(-1)), 'SIGKILL');
  // The class keeps a worker: the stack's other one, and a new one standing in for the killed one.
  await stack.startWorker('a');
  const done = await waitForRunEnd(stack, encodeURIComponent(runId), 180_000);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  const attempts = (await stack.client.workflow.getHandle(runId).fetchHistory())
    .events!.filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt);
  assert.ok(
    attempts.some((n) => (n ?? 0) >= 2),
    `the killed apply attempt was retried: ${JSON.stringify(attempts)}`,
  );
  assert.ok(await databaseExists(`app_${id}`));
  // The killed worker's dynamic-provider process, orphaned, is stopped by the sweep of a worker that runs on.
  await waitForNoOrphanProviders();
  // Not locked: another operation runs at once, and it finds nothing to change.
  const again = await operate('shop', name, { operation: 'up' });
  assert.equal(again.status, 202);
  const second = await waitForRunEnd(stack, encodeURIComponent(runId), 120_000);
  assert.equal(second.status, 'completed', JSON.stringify(second));
  assert.deepEqual(second.stack.result.resourceChanges, { same: 3 });
  // A refresh reads what exists: nothing differs from the state.
  await operate('shop', name, { operation: 'refresh' });
  const refreshed = await waitForRunEnd(stack, encodeURIComponent(runId), 120_000);
  assert.deepEqual(refreshed.stack.result.resourceChanges, { same: 3 });
});
