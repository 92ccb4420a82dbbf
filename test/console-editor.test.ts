/**
 * The console's editor (`/runs/new`) in a real browser against the real stack: a cycle is shown in
 * place (its line in the gutter and the list, its tasks in the plan) and nothing starts; the fixed
 * diamond's plan is drawn, it starts, and its nodes turn running then succeeded without a reload.
 * A viewer may check a spec but is offered no Start. With CAPSTAN_CONSOLE_SHOTS=<dir>, screenshots.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newContext, seriousA11yViolations, shoot, signInWith } from './helpers/browser';
import { startTestStack, type TestStack } from './helpers/test-stack';

const SHOTS = process.env.CAPSTAN_CONSOLE_SHOTS;

let stack: TestStack;
let browser: Browser;
let operatorToken: string;
let viewerToken: string;

before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
  browser = await launchBrowser();
  operatorToken = (await stack.mintToken('operator', { principal: 'editor-operator' })).token;
  viewerToken = (await stack.mintToken('viewer', { principal: 'editor-viewer' })).token;
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signedIn(token: string, options: { forAxe?: boolean; path?: string } = {}): Promise<Page> {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  await page.goto(`${stack.baseUrl}${options.path ?? '/runs'}`);
  await signInWith(page, token);
  return page;
}

/** The verdict line once it says `state` (valid, invalid, …) about the text now in the editor. */
async function verdict(page: Page, state: string): Promise<string> {
  const line = page.locator(`#spec-verdict[data-state="${state}"]`);
  await line.waitFor({ timeout: 10_000 });
  return (await line.textContent()) ?? '';
}

const DIAMOND = `name: editor-diamond
tasks:
  - id: a
    nodeClass: a
    command: sleep 2; echo a
  - id: b
    nodeClass: a
    dependsOn: [a]
    command: sleep 2; echo b
  - id: c
    nodeClass: a
    dependsOn: [a]
    command: sleep 2; echo c
  - id: d
    nodeClass: a
    dependsOn: [b, c]
    command: sleep 1; echo d
`;
// b also waits for d, which waits for b: the cycle is closed by line 8.
const CYCLE = DIAMOND.replace(
  '    dependsOn: [a]\n    command: sleep 2; echo b',
  '    dependsOn: [a, d]\n    command: sleep 2; echo b',
);

test('start a diamond from the editor: a cycle is shown in place and starts nothing; the fixed one is planned, started and followed live', async () => {
  const runsBefore = await stack.countRuns();
  const page = await signedIn(operatorToken);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.locator('[data-testid="runs-table"], .empty').first().waitFor();
  await shoot(page, 'runs-with-start');
  await page.getByRole('link', { name: 'Start a run' }).click();
  assert.equal(new URL(page.url()).pathname, '/runs/new');
  // The template is a diamond, valid as it comes.
  await verdict(page, 'valid');
  assert.equal(await page.locator('[data-testid="dag"] [data-key]').count(), 4);
  await shoot(page, 'editor-template');

  const editor = page.getByLabel('Spec (YAML)');
  await editor.fill(CYCLE);
  const text = await verdict(page, 'invalid');
  assert.match(text, /1 problem/);
  const issue = page.locator('[data-testid="issues"] li');
  assert.equal(await issue.count(), 1);
  const issueText = (await issue.textContent()) ?? '';
  assert.match(issueText, /line 8:5/);
  assert.match(issueText, /dependency cycle: b → d → b/);
  assert.match(issueText, /tasks b, d/);
  // The line is marked in the gutter, and the cycle's tasks in the drawn plan.
  assert.deepEqual(await page.locator('.spec-line.bad').evaluateAll((els) => els.map((e) => e.textContent)), ['8']);
  assert.deepEqual(
    (
      await page
        .locator('[data-testid="dag"] [data-marked]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-key')))
    ).sort(),
    ['b', 'd'],
  );
  assert.equal(await page.getByRole('button', { name: 'Start DAG' }).isDisabled(), true);
  // The line link puts the caret on the line that closes the cycle.
  await page.getByRole('link', { name: 'line 8:5' }).click();
  const caret = await editor.evaluate((el) => {
    const area = el as unknown as { value: string; selectionStart: number };
    return area.value.slice(0, area.selectionStart).split('\n').length;
  });
  assert.equal(caret, 8);
  await shoot(page, 'editor-cycle');
  assert.equal(await stack.countRuns(), runsBefore, 'an invalid spec starts nothing');

  await editor.fill(DIAMOND);
  await verdict(page, 'valid');
  assert.equal(await page.locator('[data-testid="issues"]').count(), 0);
  assert.equal(await page.locator('.spec-line.bad').count(), 0);
  assert.match((await page.getByTestId('plan-summary').textContent()) ?? '', /editor-diamond: 4 nodes in 3 layers/);
  assert.deepEqual(
    await page
      .locator('[data-testid="dag"] [data-key]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-key'))),
    ['a', 'b', 'c', 'd'],
  );
  assert.equal(await stack.countRuns(), runsBefore, 'planning starts nothing');
  await shoot(page, 'editor-valid');

  let navigations = 0;
  const start = page.getByRole('button', { name: 'Start DAG' });
  assert.equal(await start.isDisabled(), false);
  await start.click();
  await page.waitForURL(/\/runs\/(?!new)[^/]+$/);
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  await page.getByRole('heading', { name: 'editor-diamond' }).waitFor();
  await page.locator('[data-key="a"][data-status="running"]').waitFor({ timeout: 20_000 });
  await page.locator('[data-key="b"][data-status="running"]').waitFor({ timeout: 20_000 });
  await page.locator('[data-key="d"][data-status="succeeded"]').waitFor({ timeout: 40_000 });
  for (const key of ['a', 'b', 'c', 'd'])
    assert.equal(await page.locator(`[data-key="${key}"]`).getAttribute('data-status'), 'succeeded', key);
  assert.equal(navigations, 0, 'the states changed without a reload');
  await shoot(page, 'editor-started-run');
  assert.equal(await stack.countRuns('dag'), 1);
  assert.deepEqual(errors, [], 'no browser error (no CSP violation)');
});

test('a viewer may check a spec on /runs/new but is offered no Start, and no Start a run on the runs page', async () => {
  const page = await signedIn(viewerToken);
  await page.locator('[data-testid="runs-table"], .empty').first().waitFor();
  assert.equal(await page.getByRole('link', { name: 'Start a run' }).count(), 0);
  await page.goto(`${stack.baseUrl}/runs/new`);
  await verdict(page, 'valid');
  assert.equal(await page.getByRole('button', { name: /^Start/ }).count(), 0);
  await page.getByRole('heading', { name: 'Check a spec' }).waitFor();
  assert.match((await page.locator('.start-row').textContent()) ?? '', /needs the operator role/);
  await page.getByLabel('Spec (YAML)').fill('name: x\ntasks:\n  - id: a\n    nodeClass: nope\n    command: \"true\"\n');
  await verdict(page, 'invalid');
  assert.match(
    (await page.locator('[data-testid="issues"]').textContent()) ?? '',
    /line 4:5.*unknown node class "nope"/,
  );
  await shoot(page, 'editor-viewer');
});

test('YAML that does not parse is shown at its line; a task spec is planned as one node', async () => {
  const page = await signedIn(operatorToken, { path: '/runs/new' });
  await verdict(page, 'valid');
  const editor = page.getByLabel('Spec (YAML)');
  await editor.fill('name: broken\ntasks:\n  - id: a\n    command: [unclosed\n');
  await verdict(page, 'invalid');
  assert.match((await page.locator('[data-testid="issues"]').textContent()) ?? '', /line \d+:\d+/);
  await editor.fill('name: one-task\nnodeClass: a\ncommand: echo hi\n');
  await verdict(page, 'valid');
  assert.equal(await page.locator('[data-testid="dag"] [data-key="one-task"]').count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Start task' }).isDisabled(), false);
});

test('no serious accessibility violation on /runs/new, light and dark, valid and invalid', async () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    const page = await signedIn(operatorToken, { forAxe: true, path: '/runs/new' });
    await page.emulateMedia({ colorScheme });
    await verdict(page, 'valid');
    assert.deepEqual(await seriousA11yViolations(page), [], `valid (${colorScheme})`);
    await page.getByLabel('Spec (YAML)').fill(CYCLE);
    await verdict(page, 'invalid');
    assert.deepEqual(await seriousA11yViolations(page), [], `cycle (${colorScheme})`);
  }
});
