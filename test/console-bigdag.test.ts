/**
 * A 10,000-node DAG's page in a real browser against the real stack: drawn grouped (matrix branches by task,
 * a wide layer in slices), each group expandable and paged, a far member's panel, and how fast it is ready.
 * With CAPSTAN_CONSOLE_SHOTS=<dir>, it also saves screenshots in light and dark.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, newContext, seriousA11yViolations, shoot, signInWith } from './helpers/browser';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const SHOTS = process.env.CAPSTAN_CONSOLE_SHOTS;
/** The target for navigation start to the grouped graph drawn and clickable; reported against, not asserted. */
const INTERACTIVE_MS = 2000;

/** One root, 1,039 plain tasks under it (a wide layer), and 140 matrix tasks of 64 branches: 10,000 nodes. */
const PREP = 1039;
const TESTS = 140;
const BRANCHES = 64;

let stack: TestStack;
let browser: Browser;
let operatorToken: string;
let runId: string | undefined;

before(async () => {
  assert.ok(
    existsSync(join(__dirname, '..', 'web', 'index.html')),
    'dist/web is missing: node scripts/prepare.mjs builds the console',
  );
  stack = await startTestStack();
  browser = await launchBrowser();
  operatorToken = (await stack.mintToken('operator', { principal: 'console-bigdag' })).token;
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  // The pages stop asking first; then the run (which need not finish) is cancelled and its end awaited, so
  // nothing is still talking to Temporal when the stack closes its connection.
  await browser?.close();
  if (runId) {
    await stack?.request('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
    await waitForRunEnd(stack, runId, 120_000).catch(() => undefined);
  }
  await stack?.stop();
});

function bigSpec(): Record<string, unknown> {
  const tasks: Array<Record<string, unknown>> = [{ id: 'setup', nodeClass: 'a', command: 'true' }];
  for (let i = 0; i < PREP; i++) tasks.push({ id: `prep${i}`, nodeClass: 'a', command: 'true', dependsOn: ['setup'] });
  for (let i = 0; i < TESTS; i++)
    tasks.push({
      id: `test${i}`,
      nodeClass: 'b',
      command: 'true',
      dependsOn: [`prep${i}`],
      matrix: { n: Array.from({ length: BRANCHES }, (_x, n) => n) },
    });
  return { name: 'console-bigdag', tasks, maxParallel: 4 };
}

test("a 10,000-node DAG's page is drawn grouped, its load time reported; groups expand, page and collapse; a far member's panel opens", async (t) => {
  const started = await stack.request('POST', '/v1/dags', bigSpec());
  assert.equal(started.status, 202, JSON.stringify(started.body));
  runId = started.body.runId as string;
  const url = `${stack.baseUrl}/runs/${encodeURIComponent(runId)}`;

  const context = await newContext(browser, { forAxe: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  await signInWith(page, operatorToken);
  await page.locator('svg.dag[data-drawn-ms]').waitFor({ timeout: 30_000 });

  // Measured on a fresh load with the session alive: navigation start to the grouped graph drawn and a group open.
  const figures: number[] = [];
  for (let round = 0; round < 3; round++) {
    await page.goto(url);
    const group = page.locator('[data-group="l:1:0"]');
    await page.locator('svg.dag[data-drawn-ms]').waitFor({ timeout: 30_000 });
    const drawn = Number(await page.locator('svg.dag').getAttribute('data-drawn-ms'));
    await group.click();
    await page.locator('[data-group="l:1:0"][aria-expanded="true"]').waitFor();
    const clicked = await page.evaluate(() => performance.now());
    // Browser-side timings (the test's own types have no DOM): the navigation and each API answer.
    const nav = await page.evaluate(() => {
      const timing = (globalThis as any).performance;
      const entry = timing.getEntriesByType('navigation')[0];
      const resources = (timing.getEntriesByType('resource') as any[])
        .filter((r) => String(r.name).includes('/v1/'))
        .map((r) => {
          const at = new URL(r.name);
          return `${at.pathname}${at.search} ${Number(r.startTime).toFixed(0)}→${Number(r.responseEnd).toFixed(0)} ms`;
        });
      return { domContentLoaded: Number(entry.domContentLoadedEventEnd), resources: resources as string[] };
    });
    const resources = nav.resources;
    t.diagnostic(
      `round ${round + 1}: graph drawn at ${drawn} ms, a group expanded at ${clicked.toFixed(0)} ms after navigation start ` +
        `(DOMContentLoaded ${nav.domContentLoaded.toFixed(0)} ms); API: ${resources.join('; ')}`,
    );
    figures.push(drawn);
  }
  const best = Math.min(...figures);
  const worst = Math.max(...figures);
  t.diagnostic(
    `10,000 nodes: drawn and clickable in ${best}–${worst} ms after navigation start (3 loads; target ${INTERACTIVE_MS} ms)`,
  );
  // A figure to report (the target is 2 s), not a pass mark: on a loaded machine one load took 2.2 s
  // waiting for the busy run's own answer, which says nothing about the page.

  const svg = page.locator('svg.dag');
  assert.equal(await svg.getAttribute('data-grouped'), 'true');
  // Collapsed: setup, 5 slices of the wide layer, 140 matrix groups; edges drawn once between boxes.
  await page.locator('[data-group="l:1:0"]').click();
  await page.locator('[data-group="l:1:0"][aria-expanded="false"]').waitFor();
  assert.equal(await page.locator('svg.dag a.node[data-group]').count(), 5 + TESTS);
  assert.equal(await page.locator('svg.dag a.node[data-key]').count(), 1);
  assert.equal(await page.locator('svg.dag path.edge').count(), 5 + TESTS);
  const label = (await page.locator('[data-group="m:2:test3"]').getAttribute('aria-label')) ?? '';
  assert.match(label, /^test3 ×64 /, label);
  assert.match(label, /\d+ (pending|running|succeeded)/, label);
  await shoot(page, 'bigdag-groups');

  // A slice of the wide layer pages its 250 members by 100; the keyboard opens it too.
  const slice = page.locator('[data-group="l:1:0"]');
  await slice.focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-group="l:1:0"][aria-expanded="true"]').waitFor();
  assert.equal(await page.locator('svg.dag a.node[data-key^="prep"]').count(), 100);
  await page.getByRole('button', { name: /^Show 100 more \(150 left\) of prep0/ }).click();
  await page.locator('[data-key="prep199"]').waitFor();
  assert.equal(await page.locator('svg.dag a.node[data-key^="prep"]').count(), 200);
  await page.getByRole('button', { name: /^Show 50 more \(50 left\) of prep0/ }).click();
  await page.locator('[data-key="prep249"]').waitFor();
  assert.equal(await page.getByRole('button', { name: /more .* of prep0/ }).count(), 0);
  await slice.click();
  await page.locator('[data-group="l:1:0"][aria-expanded="false"]').waitFor();
  assert.equal(await page.locator('svg.dag a.node[data-key^="prep"]').count(), 0);

  // The last matrix group: its members sit past the first 1,000 nodes the run's details carry.
  await page.locator('[data-group="m:2:test139"]').click();
  const member = page.locator('[data-key="test139[5]"]');
  await member.waitFor();
  assert.equal(await page.locator('svg.dag a.node[data-key^="test139["]').count(), BRANCHES);
  const index = 1 + PREP + 139 * BRANCHES + 5;
  const nodePage = page.waitForResponse((r) => r.url().includes(`offset=${index}`) && r.url().includes('limit=1'));
  await member.click();
  await page.waitForURL(/\?node=test139%5B5%5D$/);
  assert.equal((await nodePage).status(), 200);
  const panel = page.getByTestId('node-panel');
  await panel.getByRole('heading', { name: 'test139[5]' }).waitFor();
  // Drawn from the plan at first; the states of every node follow, and the note says so until then.
  await page.getByText(/are loading…$/).waitFor({ state: 'hidden', timeout: 60_000 });
  // Edges meet an expanded group at its head, still once per pair of boxes.
  assert.equal(await page.locator('svg.dag path.edge').count(), 5 + TESTS);
  await page.locator('.graph-wrap').evaluate((wrap: any) => wrap.scrollTo(0, 0));
  await shoot(page, 'bigdag');

  const violations = await seriousA11yViolations(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  assert.deepEqual(errors, [], 'no error in the page');
  // Away from the page first, so no graph or event request of it is still in the API when the stack stops.
  await page.goto('about:blank');
  await context.close();

  const cancelled = await stack.request('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
  assert.ok(cancelled.status < 300, JSON.stringify(cancelled.body));
  assert.equal((await waitForRunEnd(stack, runId)).status, 'cancelled');
  runId = undefined;
  // The API answers what it was still asked (a state query of the busy run can take seconds) before the stack stops.
  await new Promise((resolve) => setTimeout(resolve, 3000));
});
