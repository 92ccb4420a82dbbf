/**
 * The console's Stacks and Node classes pages in a real browser against the real stack and the real Pulumi CLI:
 * an `up` started from the console waits with its diff shown, is approved by another operator in the console
 * and applied on screen; a viewer is offered no operation; a pool with work waiting and no worker is a problem; each
 * worker's health shows, a lost worker is flagged, and the Alerts page shows a rule the real schedule made fire.
 * With CAPSTAN_CONSOLE_SHOTS=<dir>, it also saves screenshots of each page in light and dark.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { alertScheduleId, putAlertsInPlace } from '../api/services/alert-schedule';
import { loadAlertFile } from '../config/alerts';
import { recordWorkerReport, type WorkerReport } from '../db/stores/worker-reports';
import { testDatabaseAdminUrl } from './helpers/database';
import { launchBrowser, newContext, seriousA11yViolations, shoot, signInWith } from './helpers/browser';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const SHOTS = process.env.CAPSTAN_CONSOLE_SHOTS;

let stack: TestStack;
let browser: Browser;
let operatorA: string;
let operatorB: string;
let viewer: string;

before(async () => {
  // Class `b` gets no worker: work sent to it waits, and its pool must say so.
  stack = await startTestStack({ workerEnv: { CAPSTAN_PULUMI_NODE_CLASS: 'a' }, startWorkersFor: ['a'] });
  browser = await launchBrowser();
  operatorA = (await stack.mintToken('operator', { principal: 'operator-a' })).token;
  operatorB = (await stack.mintToken('operator', { principal: 'operator-b' })).token;
  viewer = (await stack.mintToken('viewer', { principal: 'stack-viewer' })).token;
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page in a fresh context, signed in with `token`, on `path`. */
async function signedIn(token: string, path: string, options: { forAxe?: boolean } = {}): Promise<Page> {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  await page.goto(`${stack.baseUrl}${path}`);
  await signInWith(page, token);
  return page;
}

async function assertAccessible(page: Page, what: string): Promise<void> {
  const violations = await seriousA11yViolations(page);
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 2)}`);
}

/** Counts the main frame's navigations from now on: a live update must not be a reload. */
function countNavigations(page: Page): () => number {
  let count = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) count += 1;
  });
  return () => count;
}

test('node classes: class a shows its live worker; class b, with a task waiting and no worker, is shown as a problem', async () => {
  const waiting = await stack.request('POST', '/v1/tasks', { name: 'waits-for-b', nodeClass: 'b', command: 'true' });
  assert.equal(waiting.status, 202, JSON.stringify(waiting.body));
  try {
    const page = await signedIn(viewer, '/node-classes', { forAxe: true });
    const a = page.locator('[data-node-class="a"]');
    const b = page.locator('[data-node-class="b"]');
    await a.getByText('1 live worker').waitFor();
    const classes = (await stack.request('GET', '/v1/node-classes')).body.nodeClasses;
    const worker = classes.find((c: { name: string }) => c.name === 'a').workers.find((w: { live: boolean }) => w.live);
    assert.ok(worker, JSON.stringify(classes));
    const row = a.locator(`[data-worker="${worker.identity}"]`);
    await row
      .getByTestId('state')
      .filter({ hasText: /^live$/ })
      .waitFor();
    // Its health, from its own reports: the host it runs on and its machine's figures.
    assert.ok(worker.health, `worker ${worker.identity} reported: ${JSON.stringify(worker)}`);
    assert.equal(await row.getByTestId('host').textContent(), worker.health.host);
    assert.match((await row.getByTestId('memory').textContent()) ?? '', /^\d+%.* free of /);
    assert.match(
      (await row.getByTestId('disk').textContent()) ?? '',
      new RegExp(`free of .* on ${worker.health.diskPath}`),
    );
    assert.match((await row.getByTestId('load').textContent()) ?? '', /on \d+ CPUs?/);
    assert.equal(await a.getAttribute('data-problem'), null, 'a pool with a worker is no problem');
    // A task running on a: one of its two slots turns busy, on the worker that runs it.
    const busy = await stack.request('POST', '/v1/tasks', {
      name: 'keeps-a-busy',
      nodeClass: 'a',
      command: 'sleep 30',
    });
    assert.equal(busy.status, 202, JSON.stringify(busy.body));
    await a.getByTestId('busy').filter({ hasText: '1 of 2' }).waitFor({ timeout: 20_000 });
    await row.getByTestId('running').filter({ hasText: '1 of 2' }).waitFor();
    await stack.request('POST', `/v1/runs/${encodeURIComponent(busy.body.runId)}/cancel`);

    // Temporal's backlog statistics lag a start by a few seconds; the page refreshes itself.
    await page.locator('[data-node-class="b"][data-problem="true"]').waitFor({ timeout: 45_000 });
    assert.match((await b.textContent()) ?? '', /no worker, work waiting/);
    assert.match((await b.locator('.problem-text').textContent()) ?? '', /1 task waiting/);
    assert.equal(await b.getByTestId('queued').evaluate((el) => el.textContent?.startsWith('1')), true);
    await page.getByRole('alert').filter({ hasText: 'Work is waiting on b' }).waitFor();
    await assertAccessible(page, 'node classes');
    await shoot(page, 'node-classes');
    await page.context().close();
  } finally {
    await stack.request('POST', `/v1/runs/${encodeURIComponent(waiting.body.runId)}/cancel`);
  }
});

/** A health report as a worker of class a on `host` would send it. */
function reportOf(host: string, figures: Partial<WorkerReport> = {}): WorkerReport {
  return {
    identity: `${host}/a/4242`,
    nodeClass: 'a',
    host,
    version: '0.1.0+console-test',
    intervalMs: 15_000,
    cpus: 4,
    load1: 1,
    load5: 1,
    load15: 1,
    memoryTotalBytes: 16 * 2 ** 30,
    memoryAvailableBytes: 8 * 2 ** 30,
    diskPath: '/var/lib/capstan/workspace',
    diskTotalBytes: 500 * 2 ** 30,
    diskFreeBytes: 250 * 2 ** 30,
    runningAttempts: 0,
    slots: 2,
    ...figures,
  };
}

test('node classes and alerts: a lost worker is flagged, a full disk warns, and its alert fires on the Alerts page', async () => {
  // The rules as the API loads them at start, evaluated by the real Temporal Schedule every 2 s on class a's worker.
  const rulesFile = join(stack.dataDir, 'console-alerts.yaml');
  writeFileSync(
    rulesFile,
    [
      'intervalSeconds: 2',
      'nodeClass: a',
      'rules:',
      '  - { name: worker-disk, kind: worker-usage, resource: disk, overPercent: 90 }',
      '  - { name: b-no-worker, kind: no-live-worker, nodeClass: b, forSeconds: 600 }',
      '',
    ].join('\n'),
  );
  const loaded = { path: rulesFile, file: loadAlertFile(rulesFile, stack.nodeClasses) };
  const { settings } = await putAlertsInPlace(stack.client, stack.prefix, loaded, stack.nodeClasses, undefined);
  // As api/server.ts hands them to the app at start; the routes read them from the same deps on each request.
  stack.deps.alerts = settings;
  const ghost = reportOf('ghost-1', { runningAttempts: 2 });
  const full = reportOf('disk-1', { load1: 3.9, diskFreeBytes: 20 * 2 ** 30 });
  try {
    // ghost-1 reported once, ten minutes ago, and never again: lost. disk-1 reports now, its workspace 96 % full.
    await recordWorkerReport(stack.db, ghost);
    await stack.db.query("UPDATE workers SET reported_at = now() - interval '10 minutes' WHERE identity = $1", [
      ghost.identity,
    ]);
    await recordWorkerReport(stack.db, full);

    const page = await signedIn(viewer, '/node-classes', { forAxe: true });
    const a = page.locator('[data-node-class="a"]');
    const lost = a.locator(`tr[data-worker="${ghost.identity}"]`);
    await lost.waitFor();
    assert.equal(await lost.getAttribute('data-problem'), 'true', 'a lost worker is a problem');
    assert.equal(await lost.getByTestId('state').textContent(), 'lost');
    assert.equal(await lost.getByTestId('host').textContent(), 'ghost-1');
    assert.match((await lost.textContent()) ?? '', /no report since 10 min ago/);
    assert.match((await lost.getByTestId('running').textContent()) ?? '', /^2 of 2at last report$/);
    assert.equal(await a.getByTestId('lost').textContent(), '1 lost worker');

    const disk = a.locator(`tr[data-worker="${full.identity}"]`);
    assert.equal(await disk.getByTestId('state').textContent(), 'live');
    assert.equal(await disk.getAttribute('data-problem'), null);
    const diskCell = disk.getByTestId('disk').locator('.usage');
    assert.equal(await diskCell.getAttribute('data-high'), 'true', 'a workspace 96 % full is past the warning line');
    assert.match((await diskCell.textContent()) ?? '', /^96%20 GiB free of 500 GiB on \/var\/lib\/capstan\/workspace$/);
    assert.equal(await disk.getByTestId('load').locator('.usage').getAttribute('data-high'), 'true', '3.9 on 4 CPUs');
    assert.equal(await disk.getByTestId('memory').locator('.usage').getAttribute('data-high'), null, 'memory at 50 %');
    await disk
      .getByTestId('reported')
      .filter({ hasText: /s ago|just now/ })
      .waitFor();

    // The schedule evaluates the disk rule and it fires: the page points at the Alerts page.
    const note = page.getByTestId('firing-note');
    await note.filter({ hasText: 'worker-disk' }).waitFor({ timeout: 90_000 });
    await assertAccessible(page, 'node classes with a lost worker');
    await shoot(page, 'node-classes-health');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/alerts');
    const rule = page.locator('table.alert-rules tr[data-rule="worker-disk"]');
    await rule.getByTestId('state').filter({ hasText: 'firing' }).waitFor();
    assert.equal(await rule.getAttribute('data-state'), 'firing');
    assert.match(
      (await rule.locator(`[data-subject="${full.identity}"]`).textContent()) ?? '',
      /disk \/var\/lib\/capstan\/workspace 96% used \(limit 90%\)/,
    );
    assert.equal(await page.getByTestId('firing-count').textContent(), '1 firing');
    // Class b may still count the cancelled task of the test above as queued, but holds for 600 s before firing.
    assert.notEqual(
      await page.locator('table.alert-rules tr[data-rule="b-no-worker"]').getAttribute('data-state'),
      'firing',
    );
    // The history shows it fired, and that it was not notified: this stack has no webhook, so the event waits.
    const fired = page.locator('table.alert-history tr[data-rule="worker-disk"][data-kind="fired"]');
    await fired.waitFor({ timeout: 30_000 });
    assert.match((await fired.textContent()) ?? '', new RegExp(full.identity.replace(/\//g, '\\/')));
    assert.equal(await fired.getByTestId('notified').textContent(), 'not yet');
    await assertAccessible(page, 'alerts');
    await shoot(page, 'alerts');
    await page.context().close();
  } finally {
    stack.deps.alerts = undefined;
    await stack.client.schedule
      .getHandle(alertScheduleId(stack.prefix))
      .delete()
      .catch(() => undefined);
    for (const table of ['workers', 'worker_reports'])
      await stack.db.query(`DELETE FROM ${table} WHERE identity = ANY($1)`, [[ghost.identity, full.identity]]);
  }
});

test('a stack up from the console waits with its diff shown, another operator approves it there, and it is applied on screen', async () => {
  const id = randomBytes(3).toString('hex');
  const name = `c${id}`;
  const declared = await stack.request('PUT', `/v1/stacks/shop/${name}`, {
    program: 'postgres-database',
    config: { adminUrl: testDatabaseAdminUrl(), database: `app_${id}`, role: `app_${id}`, password: 'pw-console' },
    labels: { team: 'console' },
    ttlSeconds: 3600,
  });
  assert.equal(declared.status, 201, JSON.stringify(declared.body));

  // The list shows the declared stack; its page is a click away.
  const page = await signedIn(operatorA, '/stacks', { forAxe: true });
  const row = page.locator(`tr[data-stack="shop/${name}"]`);
  await row.getByText('never run').waitFor();
  await assertAccessible(page, 'stacks list');
  await row.getByRole('link', { name: `shop/${name}` }).click();
  await page.getByRole('heading', { level: 1, name: `shop/${name}` }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/stacks/shop/${name}`);
  assert.equal(await page.locator('.secret').first().textContent(), '[secret]', 'secret config stays masked');
  assert.ok(!(await page.content()).includes('pw-console'), 'no secret on the page');
  const navigations = countNavigations(page);

  // Operator A asks for an up with approval (the default); the preview's diff is shown while it waits.
  await page.getByLabel('Operation', { exact: true }).selectOption('up');
  assert.equal(await page.getByLabel('Wait for approval of the diff before applying').isChecked(), true);
  await page.getByRole('button', { name: 'Start up' }).click();
  const op = page.locator('.stack-op[data-phase="waiting-approval"]');
  await op.waitFor({ timeout: 90_000 });
  const create = op.locator('.diff-group[data-group="create"]');
  await create.waitFor();
  const created = await create.locator('li').allTextContents();
  assert.ok(created.length >= 1, 'at least one resource to create');
  assert.ok(
    created.some((t) => t.includes('postgres:Role')) && created.some((t) => t.includes('postgres:Database')),
    created.join(' | '),
  );
  await assertAccessible(page, 'stack page waiting for approval');
  await shoot(page, 'stack-waiting-approval');

  // The requester may not approve their own up: the API's refusal is shown in its words.
  await op.getByRole('button', { name: 'Approve' }).click();
  await op
    .getByRole('alert')
    .filter({ hasText: /may not approve/ })
    .waitFor();

  // A viewer sees the stack busy in the list, and on its page the diff but neither a decision nor an operation.
  const watching = await signedIn(viewer, '/stacks');
  await watching
    .locator(`tr[data-stack="shop/${name}"] .stack-running`)
    .filter({ hasText: 'up by operator-a' })
    .waitFor();
  await watching.getByRole('link', { name: `shop/${name}` }).click();
  await watching.locator('.stack-op[data-phase="waiting-approval"] .diff-group[data-group="create"]').waitFor();
  assert.equal(await watching.getByRole('button', { name: 'Approve' }).count(), 0);
  assert.equal(await watching.getByRole('button', { name: 'Reject' }).count(), 0);
  assert.equal(await watching.getByRole('button', { name: /^Start/ }).count(), 0);
  await watching.context().close();

  // Operator B approves in the console, with a comment.
  const approver = await signedIn(operatorB, `/stacks/shop/${name}`);
  const waitingThere = approver.locator('.stack-op[data-phase="waiting-approval"]');
  await waitingThere.getByLabel('Comment (optional)').fill('looks right');
  await waitingThere.getByRole('button', { name: 'Approve' }).click();

  // Operator A's page follows the apply without a reload until it is applied.
  await page.locator('.stack-op[data-phase="succeeded"]').waitFor({ timeout: 120_000 });
  const done = page.locator('.stack-op');
  await done.getByText('Approved').waitFor();
  assert.match((await done.getByTestId('approval').textContent()) ?? '', /Approved by operator-b.*looks right/);
  assert.match((await done.locator('.op-result').textContent()) ?? '', /3 create/);
  await page.getByRole('heading', { name: 'Resources (2)' }).waitFor({ timeout: 15_000 });
  const history = page.getByTestId('stack-history');
  await history.locator('tr', { hasText: 'up' }).locator('.status-completed').waitFor({ timeout: 15_000 });
  assert.match((await history.textContent()) ?? '', /approved by operator-b/);
  assert.equal(navigations(), 0, 'the operation was followed without a reload');
  await approver.context().close();

  // The history lists the operation from the API too, with who approved it.
  const listed = (await stack.request('GET', `/v1/stacks/shop/${name}/operations`)).body.operations;
  assert.equal(listed.length, 1, JSON.stringify(listed));
  assert.equal(listed[0].operation, 'up');
  assert.equal(listed[0].requestedBy, 'operator-a');
  assert.deepEqual(listed[0].outcome.changes, { create: 3 });
  assert.equal(listed[0].outcome.approval.by, 'operator-b');
  const run = await waitForRunEnd(stack, encodeURIComponent(`stack:shop/${name}`), 10_000);
  assert.equal(run.status, 'completed');
  assert.equal(run.stack.approval.by, 'operator-b');
  await assertAccessible(page, 'stack page applied');
  await shoot(page, 'stack-applied');

  // The list shows the stack active with its resources.
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Stacks' }).click();
  await row.locator('.status-active').waitFor();
  assert.equal(await row.locator('td').nth(5).textContent(), '2');
  await shoot(page, 'stacks-list');
  await page.context().close();

  // Leave nothing behind in the test server: destroy the database and role.
  const destroy = await stack.request('POST', `/v1/stacks/shop/${name}/operations`, {
    operation: 'destroy',
    confirm: `shop/${name}`,
  });
  assert.equal(destroy.status, 202, JSON.stringify(destroy.body));
  assert.equal((await waitForRunEnd(stack, encodeURIComponent(`stack:shop/${name}`), 90_000)).status, 'completed');
  assert.equal((await stack.request('DELETE', `/v1/stacks/shop/${name}`)).status, 200);
});
