/**
 * The console's Stacks and Node classes pages in a real browser against the real stack and the real Pulumi CLI:
 * an `up` started from the console waits with its diff shown, is approved by another operator in the console
 * and applied on screen; a viewer is offered no operation; a pool with work waiting and no worker is a problem.
 * With CAPSTAN_CONSOLE_SHOTS=<dir>, it also saves screenshots of each page in light and dark.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
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
    await a.locator(`[data-worker="${worker.identity}"]`).getByText('live', { exact: true }).waitFor();
    assert.equal(await a.getAttribute('data-problem'), null, 'a pool with a worker is no problem');
    // A task running on a: one of its two slots turns busy, on the worker that runs it.
    const busy = await stack.request('POST', '/v1/tasks', {
      name: 'keeps-a-busy',
      nodeClass: 'a',
      command: 'sleep 30',
    });
    assert.equal(busy.status, 202, JSON.stringify(busy.body));
    await a.getByTestId('busy').filter({ hasText: '1 of 2' }).waitFor({ timeout: 20_000 });
    await a.locator(`[data-worker="${worker.identity}"]`).getByText('1 busy').waitFor();
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
