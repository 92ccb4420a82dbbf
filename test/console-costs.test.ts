/**
 * The console's Costs and Admin pages in a real browser (Debian's Chromium via playwright-core) against the real
 * stack: the cost scenario of the cost tests seeded and analysed by the real schedule, the chart drawn per group
 * with its legend and the anomaly listed with its group; an admin creates a token (its secret shown once, in no URL
 * or storage), revokes it, and finds both in the audit log filtered by action; an operator is not offered Admin.
 * With CAPSTAN_CONSOLE_SHOTS=<dir>, it also saves screenshots of both pages in light and dark.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { costScheduleId } from '../api/services/cost-schedules';
import { launchBrowser, newContext, seriousA11yViolations, shoot, signInWith } from './helpers/browser';
import { D, seedSpikeScenario } from './helpers/cost-scenario';
import { startTestStack, type TestStack } from './helpers/test-stack';

const SHOTS = process.env.CAPSTAN_CONSOLE_SHOTS;

let stack: TestStack;
let browser: Browser;
let adminToken: string;
let operatorToken: string;

before(async () => {
  const budgets = join(process.env.TMPDIR ?? '/tmp', `capstan-budgets-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(
    budgets,
    'budgets:\n  - name: team-payments\n    label: team\n    value: payments\n    monthlyUsd: 100\n    thresholds: [0.005, 0.5]\n',
  );
  stack = await startTestStack({ workerEnv: { CAPSTAN_COST_BUDGETS_FILE: budgets, CAPSTAN_COST_NODE_CLASS: 'a' } });
  await seedSpikeScenario(stack.db);
  // The real analysis makes the report of D (yesterday, UTC), as the nightly schedule would.
  const triggered = await stack.request('POST', `/v1/costs/schedules/${costScheduleId(stack.prefix)}/trigger`);
  assert.equal(triggered.status, 202, JSON.stringify(triggered.body));
  const deadline = Date.now() + 90_000;
  while ((await stack.request('GET', `/v1/costs/reports?date=${D}`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`no cost report of ${D} after 90 s`);
    await new Promise((r) => setTimeout(r, 300));
  }
  browser = await launchBrowser();
  adminToken = (await stack.mintToken('admin', { principal: 'console-admin' })).token;
  operatorToken = (await stack.mintToken('operator', { principal: 'console-operator' })).token;
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page in a fresh context, signed in with `token`, on `path`. */
async function signedIn(
  token: string,
  path: string,
  options: { colorScheme?: 'light' | 'dark'; forAxe?: boolean } = {},
): Promise<Page> {
  const page = await (await newContext(browser, options)).newPage();
  await page.goto(`${stack.baseUrl}${path}`);
  await signInWith(page, token);
  return page;
}

/** Waits (up to 10 s: a new grouping replaces the old lines when its data arrives) for the chart's lines to be `names`, largest first. */
async function expectSeries(page: Page, names: string[]): Promise<void> {
  const read = () =>
    page
      .locator('[data-testid="cost-chart"] g.series')
      .evaluateAll((gs) => gs.map((g) => g.getAttribute('data-series') ?? ''));
  const deadline = Date.now() + 10_000;
  let shown = await read();
  while (JSON.stringify(shown) !== JSON.stringify(names) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    shown = await read();
  }
  assert.deepEqual(shown, names);
}

test('the costs page draws the seeded groups over time, by node class, label and run name', async () => {
  const page = await signedIn(operatorToken, '/costs');
  const chart = page.locator('[data-testid="cost-chart"]');
  await chart.waitFor();
  // Class b's search runs cost more than class a's builds every day: b is drawn first.
  await expectSeries(page, ['b', 'a']);
  // A line per group over the 30 days of the window, today included.
  const points = await chart.locator('g.series[data-series="b"] polyline').getAttribute('points');
  assert.equal(points?.trim().split(/\s+/).length, 30);
  // D's spike on b: 1,440 s lost + 2,880 s + 36 s at $0.50/h = $0.605 → $0.61 (the cost tests compute it by hand).
  assert.equal(
    await chart.locator(`g.series[data-series="b"] circle title`, { hasText: D }).textContent(),
    `b, ${D}: $0.61`,
  );
  const legend = page.getByRole('list', { name: 'Legend' });
  assert.deepEqual(await legend.locator('.legend-name').allTextContents(), ['b', 'a']);
  for (const total of await legend.locator('.legend-total').allTextContents()) assert.match(total, /^\$\d+\.\d{2}$/);
  assert.match((await chart.getAttribute('aria-labelledby')) ?? '', /\S+ \S+/);
  assert.match((await chart.locator('desc').textContent()) ?? '', /^b: \$\d+\.\d{2} in total; a: \$/);
  // The table alternative holds the same figure.
  await page.getByText('Show the figures as a table').click();
  const dayRow = page.locator('table.data tr', { has: page.locator(`th[scope="row"]`, { hasText: D }) });
  assert.deepEqual(await dayRow.locator('td').allTextContents(), ['$0.61', '$0.04']);

  await page.getByLabel('Group by').selectOption('label');
  await expectSeries(page, ['search', 'payments']);
  assert.equal(new URL(page.url()).search, '?groupBy=label&label=team');
  await page.getByLabel('Label key').fill('project');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/label=project/);
  await expectSeries(page, ['search', 'web']);
  await page.getByLabel('Group by').selectOption('name');
  await expectSeries(page, ['search-index', 'nightly-build']);
  // The URL is the state: Back returns to the label grouping.
  await page.goBack();
  await page.waitForURL(/label=project/);
  await expectSeries(page, ['search', 'web']);
  await page.context().close();
});

test("the costs page lists the report's anomaly with its group and distance, the forecast, budgets and recommendations", async () => {
  const page = await signedIn(operatorToken, '/costs');
  const anomalies = page.locator('[data-testid="anomalies"]');
  await anomalies.waitFor();
  assert.equal(await page.locator('#report-title').textContent(), `Report of ${D} (UTC)`);
  // The seed's spike: class b cost $0.61 against a median of $0.10 (z = 34.06, as the cost tests compute by hand).
  const spike = anomalies.locator('tr[data-anomaly="nodeClass=b"]');
  assert.equal(await spike.locator('th').textContent(), 'node class b');
  assert.deepEqual((await spike.locator('td').allTextContents()).slice(0, 2), ['$0.61', '$0.10']);
  assert.match((await spike.locator('td').nth(2).textContent()) ?? '', /above: 6\.\d× usual/);
  assert.equal(await spike.locator('td').nth(3).textContent(), '34.06 (≥ 3.5)');
  assert.deepEqual(
    (await anomalies.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-anomaly')))).sort(),
    [
      'label:environment=prod',
      'label:project=search',
      'label:team=search',
      'name=search-index',
      'nodeClass=b',
      'total=all',
    ],
  );
  // Payments' ordinary day is no anomaly.
  assert.equal(await anomalies.getByText('payments').count(), 0);
  assert.match((await page.getByTestId('forecast').textContent()) ?? '', /^\$\d[\d,]*\.\d{2}$/);
  const budget = page.locator('li[data-budget="team-payments"]');
  assert.match((await budget.textContent()) ?? '', /label team=payments/);
  assert.match((await budget.locator('.budget-used').textContent()) ?? '', / of \$100\.00 used in \d{4}-\d{2} \(/);
  assert.ok(Number(await budget.locator('meter').getAttribute('value')) > 0);
  const recommendations = page.locator('ul.recommendations li');
  assert.ok((await recommendations.count()) > 0);
  for (const saves of await recommendations.locator('.saves').allTextContents())
    assert.match(saves, /^\$[\d,]+\.\d{2,4} \/ 30 days$/);
  // The stale preview stack is one recommendation, with what deleting it saves.
  assert.equal(await recommendations.filter({ hasText: 'stack=web/preview-1' }).count(), 1);
  await shoot(page, 'costs');
  await page.context().close();
});

test('an admin creates a token (secret shown once, in no URL or storage), revokes it, and the audit log shows both', async () => {
  const page = await signedIn(adminToken, '/runs');
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('heading', { name: 'Tokens' }).waitFor();
  await page.getByLabel('Principal', { exact: true }).first().fill('ci-bot');
  await page.getByLabel('Role').selectOption('operator');
  await page.getByLabel('Expires after').selectOption({ label: '7 days' });
  await page.getByRole('button', { name: 'Create token' }).click();
  const field = page.getByLabel('Secret');
  await field.waitFor();
  const secret = await field.inputValue();
  assert.ok(secret.length > 20, secret);
  assert.match((await page.locator('.new-secret .warning').textContent()) ?? '', /shown this once/);
  await shoot(page, 'admin-new-secret');
  // The secret works as a token, and the page keeps it nowhere the script or a URL could leak it.
  assert.equal((await stack.request('GET', '/v1/runs', undefined, { authorization: `Bearer ${secret}` })).status, 200);
  const stored = await page.evaluate(() => {
    const g = globalThis as any;
    const dump = (s: any) => Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i))}`).join(';');
    return `${dump(g.localStorage)}|${dump(g.sessionStorage)}|${g.document.cookie}|${g.location.href}|${g.history.state}`;
  });
  assert.ok(!stored.includes(secret), stored);
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByLabel('Secret').waitFor({ state: 'detached' });
  assert.ok(!((await page.content()) ?? '').includes(secret), 'the secret is gone from the page');

  const row = page.locator('[data-testid="tokens"] tr', { hasText: 'ci-bot' });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /operator/);
  assert.equal(await row.locator('.token-status').textContent(), 'active');
  await row.getByRole('button', { name: 'Revoke ci-bot' }).click();
  await row.getByRole('group', { name: 'Confirm revoking ci-bot' }).waitFor();
  await row.getByRole('button', { name: 'Yes, revoke' }).click();
  await page.waitForFunction(() =>
    Array.from((globalThis as any).document.querySelectorAll('[data-testid="tokens"] tr')).some(
      (tr: any) => tr.textContent.includes('ci-bot') && tr.querySelector('.token-status')?.textContent === 'revoked',
    ),
  );
  assert.equal((await stack.request('GET', '/v1/runs', undefined, { authorization: `Bearer ${secret}` })).status, 401);

  const audit = page.locator('[data-testid="audit"]');
  await audit.locator('tr[data-action="token.revoke"]').first().waitFor();
  assert.ok((await audit.locator('tr[data-action="token.create"]').count()) >= 1);
  await page.getByLabel('Action', { exact: true }).fill('token.revoke');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/\/admin\?action=token\.revoke$/);
  await page.waitForFunction(() =>
    Array.from((globalThis as any).document.querySelectorAll('[data-testid="audit"] tbody tr')).every(
      (tr: any) => tr.getAttribute('data-action') === 'token.revoke',
    ),
  );
  const revokeRows = audit.locator('tbody tr');
  assert.equal(await revokeRows.count(), 1);
  assert.match((await revokeRows.textContent()) ?? '', /console-admin/);
  // A deep link keeps the filter.
  await page.reload();
  await audit.locator('tbody tr').first().waitFor();
  assert.equal(await page.getByLabel('Action', { exact: true }).inputValue(), 'token.revoke');
  assert.equal(await audit.locator('tbody tr').count(), 1);
  await page.getByLabel('Principal', { exact: true }).last().fill('nobody-here');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No entry matches these filters.').waitFor();
  // Paging by cursor: two entries a page from the URL's limit, older ones on demand, none twice.
  await page.goto(`${stack.baseUrl}/admin?limit=2`);
  await audit.locator('tbody tr').first().waitFor();
  assert.equal(await audit.locator('tbody tr').count(), 2);
  await page.getByRole('button', { name: 'Load older entries' }).click();
  await page.waitForFunction(
    () => (globalThis as any).document.querySelectorAll('[data-testid="audit"] tbody tr').length === 4,
  );
  const times = await audit.locator('tbody time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime') ?? ''));
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first across pages');
  await page.goto(`${stack.baseUrl}/admin`);
  await audit.locator('tbody tr').first().waitFor();
  await shoot(page, 'admin');
  for (const url of urls) assert.ok(!url.includes(secret), url);
  await page.context().close();
});

test('an operator sees no Admin link, /admin says it needs admin (the API refuses too); a viewer gets no Analyse button', async () => {
  const page = await signedIn(operatorToken, '/admin');
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count(), 0);
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Costs' }).count(), 1);
  assert.match((await page.getByTestId('needs-admin').textContent()) ?? '', /needs the admin role.*operator/);
  assert.equal(await page.getByRole('button', { name: 'Create token' }).count(), 0);
  const status = await page.evaluate(async () => (await fetch('/v1/tokens')).status);
  assert.equal(status, 403);
  // An operator may run the cost analysis now; a viewer is not offered it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Costs' }).click();
  await page.getByRole('button', { name: 'Analyse yesterday now' }).click();
  await page.getByRole('status').filter({ hasText: 'Triggered' }).waitFor();
  const viewer = await signedIn((await stack.mintToken('viewer', { principal: 'console-viewer' })).token, '/costs');
  await viewer.locator('[data-testid="anomalies"]').waitFor();
  assert.equal(await viewer.getByRole('button', { name: 'Analyse yesterday now' }).count(), 0);
  assert.equal(await viewer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count(), 0);
  await viewer.context().close();
  await shoot(page, 'admin-refused');
  await page.context().close();
});

test('the costs and admin pages have no serious accessibility violation, light or dark', async () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    const page = await signedIn(adminToken, '/costs', { colorScheme, forAxe: true });
    await page.locator('[data-testid="anomalies"]').waitFor();
    await page.locator('[data-testid="cost-chart"] g.series').first().waitFor();
    await page.getByText('Show the figures as a table').click();
    assert.deepEqual(await seriousA11yViolations(page), [], `costs (${colorScheme})`);
    await page.goto(`${stack.baseUrl}/admin`);
    await page.locator('[data-testid="audit"] tbody tr').first().waitFor();
    await page.locator('[data-testid="tokens"] tbody tr').first().waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], `admin (${colorScheme})`);
    await page.getByLabel('Principal', { exact: true }).first().fill('axe-check');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByLabel('Secret').waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], `admin, new secret (${colorScheme})`);
    await page.context().close();
  }
});
