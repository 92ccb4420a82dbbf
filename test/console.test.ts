/**
 * The console in a real browser (Debian's Chromium via playwright-core) against the real stack: sign-in
 * with a session cookie, the runs list live, a run's DAG and a node's log, what a viewer is not offered,
 * markup in names rendered as text under a strict CSP, and no serious accessibility violation.
 * With CAPSTAN_CONSOLE_SHOTS=<dir>, it also saves screenshots of each page in light and dark.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newContext, seriousA11yViolations, shoot, signInWith } from './helpers/browser';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const XSS = '<img src=x onerror=alert(1)>';
const SHOTS = process.env.CAPSTAN_CONSOLE_SHOTS;

let stack: TestStack;
let browser: Browser;
let operatorToken: string;
let viewerToken: string;

before(async () => {
  assert.ok(
    existsSync(join(__dirname, '..', 'web', 'index.html')),
    'dist/web is missing: node scripts/prepare.mjs builds the console',
  );
  stack = await startTestStack();
  browser = await launchBrowser();
  operatorToken = (await stack.mintToken('operator', { principal: 'console-operator' })).token;
  viewerToken = (await stack.mintToken('viewer', { principal: 'console-viewer' })).token;
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page in a fresh context (no cookie), signed in with `token`, on the runs list (or `path`). */
async function signedIn(
  token: string,
  options: { colorScheme?: 'light' | 'dark'; forAxe?: boolean; path?: string } = {},
): Promise<Page> {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  await page.goto(`${stack.baseUrl}${options.path ?? '/runs'}`);
  await signInWith(page, token);
  return page;
}

async function startDag(spec: Record<string, unknown>): Promise<string> {
  const started = await stack.request('POST', '/v1/dags', spec);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return started.body.runId;
}

/** Counts the main frame's navigations from now on: a live update must not be a reload. */
function countNavigations(page: Page): () => number {
  let count = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) count += 1;
  });
  return () => count;
}

test('the console is served at / and at deep links with a strict CSP, and its page has no inline script or style', async () => {
  for (const path of ['/', '/runs', '/runs/some%20run?node=a', '/no/such/page']) {
    const response = await fetch(`${stack.baseUrl}${path}`);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/, path);
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ])
      assert.ok(csp.includes(directive), `${path}: ${directive} in ${csp}`);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file');
    assert.doesNotMatch(html, /<style|\sstyle=/, 'every style is a file');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    const script = await fetch(`${stack.baseUrl}${asset}`);
    assert.equal(script.status, 200);
    assert.ok(script.headers.get('content-security-policy'));
  }
  // The API keeps its own answers: no page for /v1 paths, and a token is still asked for.
  const api = await fetch(`${stack.baseUrl}/v1/runs`);
  assert.equal(api.status, 401);
  assert.match(api.headers.get('content-type') ?? '', /json/);
  assert.equal((await fetch(`${stack.baseUrl}/assets/missing.js`)).status, 404);
});

test('sign-in: a wrong token shows the API message; the right one signs in, and no URL or readable storage holds it', async () => {
  const refused = await fetch(`${stack.baseUrl}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: 'capstan_not_a_real_token' }),
  });
  assert.equal(refused.status, 401);
  const apiMessage = ((await refused.json()) as any).error.message as string;

  const context = await newContext(browser);
  const page = await context.newPage();
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  await page.goto(`${stack.baseUrl}/`);
  await shoot(page, 'sign-in');
  await page.getByLabel('Capstan token').fill('capstan_not_a_real_token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.equal((await alert.textContent())?.trim(), apiMessage);
  await shoot(page, 'sign-in-refused');

  await signInWith(page, operatorToken);
  assert.equal(await page.locator('.principal').textContent(), 'console-operator');
  assert.equal(await page.locator('.role').textContent(), 'operator');
  assert.equal(new URL(page.url()).pathname, '/runs');

  // The root tsconfig has no DOM types: the page's globals are reached through globalThis.
  const readable = await page.evaluate(() => {
    const page = globalThis as any;
    return {
      local: JSON.stringify({ ...page.localStorage }),
      session: JSON.stringify({ ...page.sessionStorage }),
      cookie: String(page.document.cookie),
    };
  });
  for (const [where, text] of Object.entries(readable))
    assert.ok(!text.includes(operatorToken), `${where} holds the token: ${text}`);
  assert.ok(!readable.cookie.includes('capstan_session'), 'the session cookie is HttpOnly');
  for (const url of urls) assert.ok(!url.includes(operatorToken), `a URL holds the token: ${url}`);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'capstan_session');
  assert.ok(session?.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));

  // Sign out ends the session: a reload shows the sign-in form again.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Capstan token').waitFor();
  await page.reload();
  await page.getByLabel('Capstan token').waitFor();
  await context.close();
});

test('the runs list shows a run started through the API, and its status turns to completed without a reload', async () => {
  const page = await signedIn(operatorToken);
  const navigations = countNavigations(page);
  const started = await stack.request('POST', '/v1/tasks', {
    name: 'console-live-task',
    nodeClass: 'a',
    command: 'sleep 4; echo finished',
    labels: { team: 'console' },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const row = page.locator(`tr[data-run-id="${started.body.runId}"]`);
  await row.locator('.status-running').waitFor({ timeout: 15_000 });
  await row.locator('.status-completed').waitFor({ timeout: 30_000 });
  assert.equal(navigations(), 0, 'the status changed without a reload');
  await shoot(page, 'runs-live');

  // Filters live in the URL: a deep link opens filtered, and Back returns to the unfiltered list.
  await page.getByLabel('Kind').selectOption('task');
  await page.waitForURL(/\/runs\?kind=task$/);
  await page.getByLabel('Label', { exact: true }).fill('team=console');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/label=team%3Dconsole/);
  await row.waitFor();
  await page.getByLabel('Label', { exact: true }).fill('team=nobody');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No run matches these filters.').waitFor();
  await page.goBack();
  await row.waitFor();
  assert.equal(await page.getByLabel('Label', { exact: true }).inputValue(), 'team=console');

  // A task run's page shows its log.
  await row.locator('.run-name').click();
  await page.getByRole('heading', { level: 1, name: 'console-live-task' }).waitFor();
  await page.waitForFunction(() =>
    (globalThis as any).document.querySelector('[data-testid="log-text"]')?.textContent?.includes('finished'),
  );
  await shoot(page, 'run-task');
  await page.context().close();
});

test('the runs page loads quickly (navigation start to the list rendered), measured in the browser', async () => {
  const page = await signedIn(operatorToken);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(`${stack.baseUrl}/runs`);
    await page.locator('[data-testid="runs-table"] tbody tr').first().waitFor();
    samples.push(await page.evaluate(() => performance.now()));
  }
  samples.sort((a, b) => a - b);
  const median = samples[2]!;
  process.stderr.write(
    `[console] runs page: navigation start to list rendered ${samples.map(Math.round).join(', ')} ms (median ${Math.round(median)} ms)\n`,
  );
  assert.ok(median < 1000, `the runs page took ${median} ms`);
  await page.context().close();
});

test('a name, label and log line that look like markup render as text, and no script runs', async () => {
  const runId = await startDag({
    name: XSS,
    labels: { note: XSS },
    tasks: [{ id: 'x', nodeClass: 'a', command: `printf '%s\\n' '${XSS}'` }],
  });
  await waitForRunEnd(stack, runId);
  const page = await signedIn(operatorToken);
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const row = page.locator(`tr[data-run-id="${runId}"]`);
  await row.waitFor();
  assert.equal(await row.locator('.run-name').textContent(), XSS);
  assert.equal(await row.locator('.chip').textContent(), `note=${XSS}`);
  await row.locator('.run-name').click();
  await page.getByRole('heading', { level: 1, name: XSS }).waitFor();
  await page.locator('[data-key="x"]').click();
  const log = page.getByTestId('log-text');
  await page.waitForFunction(
    (text) => (globalThis as any).document.querySelector('[data-testid="log-text"]')?.textContent?.includes(text),
    XSS,
  );
  assert.match((await log.textContent()) ?? '', /<img src=x onerror=alert\(1\)>/);
  assert.equal(await page.locator('img').count(), 0, 'no element was made of the text');
  assert.deepEqual(dialogs, []);
  await page.context().close();
});

test("a DAG run's page draws the graph, its nodes turn running then succeeded live, and a node's log is readable", async () => {
  const runId = await startDag({
    name: 'console-diamond',
    tasks: [
      { id: 'a', nodeClass: 'a', command: 'echo "hello from a"' },
      { id: 'b', nodeClass: 'a', dependsOn: ['a'], command: 'sleep 3; echo "b done"' },
      { id: 'c', nodeClass: 'b', dependsOn: ['a'], command: 'sleep 3; echo "c done"' },
      { id: 'd', nodeClass: 'a', dependsOn: ['b', 'c'], command: 'echo "d says done"' },
    ],
  });
  const context = await newContext(browser);
  const page = await context.newPage();
  // A CSP violation (an inline style or script the build let in) shows as an error in the console.
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${stack.baseUrl}/runs/${encodeURIComponent(runId)}`);
  await signInWith(page, operatorToken);
  // Before sign-in, GET /v1/session answered 401, which the browser reports as a failed load: that one is expected.
  errors.length = 0;
  const navigations = countNavigations(page);
  await page.getByTestId('dag').waitFor();
  assert.equal(await page.locator('svg.dag a.node').count(), 4);
  assert.equal(await page.locator('svg.dag path.edge').count(), 4);
  await page.locator('[data-key="b"][data-status="running"]').waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('[data-key="d"]').getAttribute('data-status'), 'pending');
  await shoot(page, 'run-dag-running');
  await page.locator('[data-key="d"][data-status="succeeded"]').waitFor({ timeout: 40_000 });
  await page.locator('.run-head .status-completed').waitFor({ timeout: 15_000 });
  assert.equal(navigations(), 0, 'the states changed without a reload');

  await page.locator('[data-key="d"]').click();
  await page.waitForURL(/\?node=d$/);
  const panel = page.getByTestId('node-panel');
  await panel.getByRole('heading', { name: 'd' }).waitFor();
  await page.waitForFunction(() =>
    (globalThis as any).document.querySelector('[data-testid="log-text"]')?.textContent?.includes('d says done'),
  );
  assert.match((await panel.textContent()) ?? '', /Exit code0/);
  await panel.getByText('Complete.').waitFor();
  // Keyboard: a node is a real link, reached with Tab and opened with Enter.
  await page.locator('[data-key="b"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\?node=b$/);
  await page.waitForFunction(() =>
    (globalThis as any).document.querySelector('[data-testid="log-text"]')?.textContent?.includes('b done'),
  );
  await shoot(page, 'run-dag-node');
  assert.deepEqual(errors, [], 'no error in the browser console');
  await page.context().close();
});

test('a viewer sees no Cancel, and a forged cancel from its session is refused; an operator cancels in the page', async () => {
  const runId = await startDag({
    name: 'console-to-cancel',
    tasks: [{ id: 'long', nodeClass: 'a', command: 'sleep 60' }],
  });
  const path = `/runs/${encodeURIComponent(runId)}`;
  const viewer = await signedIn(viewerToken, { path });
  await viewer.locator('.run-head .status-running').waitFor();
  assert.equal(await viewer.getByRole('button', { name: 'Cancel' }).count(), 0);
  const forged = await viewer.evaluate(async (id) => {
    const session = (await (await fetch('/v1/session')).json()) as { csrfToken: string };
    const response = await fetch(`/v1/runs/${encodeURIComponent(id)}/cancel`, {
      method: 'POST',
      headers: { 'X-Capstan-CSRF': session.csrfToken },
    });
    return response.status;
  }, runId);
  assert.equal(forged, 403);

  const operator = await signedIn(operatorToken, { path });
  await operator.getByRole('button', { name: 'Cancel' }).click();
  await operator.locator('.run-head .status-cancelled').waitFor({ timeout: 30_000 });
  // The viewer's page follows the run too.
  await viewer.locator('.run-head .status-cancelled').waitFor({ timeout: 30_000 });
  await viewer.context().close();
  await operator.context().close();
});

test('axe-core finds no serious or critical violation on the sign-in, runs and run pages', async () => {
  const runId = await startDag({
    name: 'console-axe',
    labels: { team: 'a11y' },
    tasks: [
      { id: 'first', nodeClass: 'a', command: 'echo one' },
      { id: 'second', nodeClass: 'a', dependsOn: ['first'], command: 'echo two; exit 3' },
    ],
  });
  await waitForRunEnd(stack, runId);
  for (const colorScheme of ['light', 'dark'] as const) {
    const context = await newContext(browser, { colorScheme, forAxe: true });
    const page = await context.newPage();
    await page.goto(`${stack.baseUrl}/runs`);
    await page.getByLabel('Capstan token').waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], `sign-in (${colorScheme})`);
    await page.getByLabel('Capstan token').fill(operatorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid="runs-table"] tbody tr').first().waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], `runs (${colorScheme})`);
    if (colorScheme === 'light') await shoot(page, 'runs');
    await page.goto(`${stack.baseUrl}/runs/${encodeURIComponent(runId)}?node=second`);
    await page.getByTestId('dag').waitFor();
    await page.getByText(/Complete/).waitFor();
    // The failed node's last lines are on the run page itself, next to why it failed.
    assert.match((await page.getByLabel('Last lines of second').textContent()) ?? '', /two/);
    assert.deepEqual(await seriousA11yViolations(page), [], `run (${colorScheme})`);
    if (colorScheme === 'light') await shoot(page, 'run-dag-failed');
    await context.close();
  }
});

test('Retry from failure opens the new run, which shows the reused node as reused', async () => {
  const runId = await startDag({
    name: 'console-retry',
    tasks: [
      { id: 'first', nodeClass: 'a', command: 'echo one' },
      { id: 'second', nodeClass: 'a', dependsOn: ['first'], command: 'echo two; exit 3' },
    ],
  });
  await waitForRunEnd(stack, runId);
  const page = await signedIn(operatorToken, { path: `/runs/${encodeURIComponent(runId)}` });
  await page.getByRole('button', { name: 'Retry from failure' }).click();
  await page.waitForURL(
    (url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(encodeURIComponent(runId)),
  );
  await page.locator('[data-key="first"][data-reused="true"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-key="second"][data-status="failed"]').waitFor({ timeout: 30_000 });
  await shoot(page, 'run-dag-retried');
  // A viewer is offered no Retry on the same failed run.
  const viewer = await signedIn(viewerToken, { path: `/runs/${encodeURIComponent(runId)}` });
  await viewer.locator('.run-head .status-failed').waitFor();
  assert.equal(await viewer.getByRole('button', { name: 'Retry from failure' }).count(), 0);
  await viewer.context().close();
  await page.context().close();
});

test("a node that took two attempts: the panel shows each attempt's own log on request", async () => {
  const marker = `/tmp/capstan-console-attempts-${Date.now()}`;
  const runId = await startDag({
    name: 'console-attempts',
    tasks: [
      {
        id: 'flaky',
        nodeClass: 'a',
        command: `if [ -f ${marker} ]; then echo second try passed; else touch ${marker}; echo first try failed; exit 1; fi`,
        retry: { maxAttempts: 2, initialIntervalSeconds: 0.1 },
      },
    ],
  });
  await waitForRunEnd(stack, runId);
  const page = await signedIn(viewerToken, { path: `/runs/${encodeURIComponent(runId)}?node=flaky` });
  const log = page.getByTestId('log-text');
  await page.getByRole('button', { name: 'Attempt 2 (latest)' }).waitFor();
  await page.waitForFunction(() =>
    (globalThis as any).document.querySelector('[data-testid="log-text"]')?.textContent?.includes('second try passed'),
  );
  await page.getByRole('button', { name: 'Attempt 1', exact: true }).click();
  await page.getByRole('region', { name: 'Log of attempt 1' }).waitFor();
  await page.waitForFunction(() =>
    (globalThis as any).document.querySelector('[data-testid="log-text"]')?.textContent?.includes('first try failed'),
  );
  assert.doesNotMatch((await log.textContent()) ?? '', /second try/);
  assert.equal(await page.getByRole('button', { name: 'Attempt 1', exact: true }).getAttribute('aria-pressed'), 'true');
  await shoot(page, 'run-node-attempts');
  await page.context().close();
});

test("a revoked token's session stops working at once: the open page returns to sign-in", async () => {
  const minted = await stack.mintToken('operator', { principal: 'console-revoked' });
  const page = await signedIn(minted.token);
  await page.locator('.principal').getByText('console-revoked').waitFor();
  const revoked = await stack.request('DELETE', `/v1/tokens/${minted.id}`);
  assert.ok(revoked.status === 200 || revoked.status === 204, JSON.stringify(revoked.body));
  // The list's next refresh (every 3 s) is refused, and the console shows the sign-in form without a reload.
  await page.getByLabel('Capstan token').waitFor({ timeout: 10_000 });
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
  await page.context().close();
});

test('older runs load on demand, page by page, and stay loaded through the live refresh', async () => {
  const page = await signedIn(operatorToken, { path: '/runs?limit=2' });
  const rows = page.locator('[data-testid="runs-table"] tbody tr');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  await page.getByRole('button', { name: 'Load older runs' }).click();
  await rows.nth(3).waitFor();
  assert.equal(await rows.count(), 4);
  // The list refreshes every 3 s; the older page is asked again, not dropped.
  await page.waitForTimeout(3500);
  assert.equal(await rows.count(), 4);
  await page.context().close();
});
