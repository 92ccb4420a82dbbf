/**
 * The console's pipelines in a real browser against the real stack: a signed webhook starts a pipeline
 * whose deploy waits for approval; a second operator approves it with a comment on the run page and the
 * run completes on screen; the decision shows who, when and why; a step's log and the artifact are
 * reached from the run page; a viewer is offered no Approve or Reject; a failed deploy shows its rollback;
 * the pipelines and environments pages list what happened; axe finds no serious violation.
 * With CAPSTAN_CONSOLE_SHOTS=<dir>, it also saves screenshots of each page in light and dark.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { artifactKey } from '../config/artifacts/artifact-store';
import { launchBrowser, newContext, seriousA11yViolations, shoot, signInWith } from './helpers/browser';
import { gitIn } from './helpers/git';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const SECRET = 'console-pipelines-webhook-secret';
const SHOTS = process.env.CAPSTAN_CONSOLE_SHOTS;

let stack: TestStack;
let browser: Browser;
let repo: string;
let approverToken: string;
let viewerToken: string;
let runId: string;
let sha: string;

function commit(message: string): string {
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '--allow-empty', '-m', message);
  return gitIn(repo, 'rev-parse', 'HEAD');
}

/** Delivers a signed GitHub push of `commitSha` to main, as alice; answers the run id it started. */
async function push(commitSha: string, delivery: string): Promise<string> {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    before: '1'.repeat(40),
    after: commitSha,
    repository: { full_name: 'acme/web' },
    sender: { login: 'alice' },
  });
  const answer = await stack.request('POST', '/v1/webhooks/github', body, {
    authorization: '',
    'X-GitHub-Event': 'push',
    'X-GitHub-Delivery': delivery,
    'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
  });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  assert.equal(answer.body.started, true, JSON.stringify(answer.body));
  return answer.body.runId;
}

/** Waits (through the API) until the run's deploy job waits for approval. */
async function waitForApproval(id: string): Promise<void> {
  for (let i = 0; ; i++) {
    const run = (await stack.request('GET', `/v1/runs/${encodeURIComponent(id)}`)).body;
    if (run.pipeline?.jobs.find((j: any) => j.id === 'deploy')?.status === 'waiting-approval') return;
    assert.ok(i < 600 && run.status === 'running', `no approval awaited: ${JSON.stringify(run.pipeline ?? run)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
  browser = await launchBrowser();
  approverToken = (await stack.mintToken('operator', { principal: 'release-manager' })).token;
  viewerToken = (await stack.mintToken('viewer', { principal: 'console-viewer' })).token;
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  repo = mkdtempSync(join(tmpdir(), 'capstan-console-pipeline-'));
  gitIn(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: web
on: { push: { branches: [main] }, manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - name: compile
        run: mkdir -p dist && echo "release $CAPSTAN_SHA" > dist/VERSION && echo "compiled the <b>web</b> app"
      - upload-artifact: { name: app, path: dist }
  deploy:
    runs-on: a
    needs: [build]
    environment:
      name: production
      approval: { required: true }
    steps:
      - checkout: true
      - download-artifact: { name: app }
      - name: release
        run: |
          if [ -f BROKEN ]; then echo "release failed: the health check did not pass"; exit 3; fi
          echo "released $(cat dist/VERSION)"
    rollback:
      - name: restore previous release
        run: echo "rolled back to $CAPSTAN_PREVIOUS_SHA"
`,
  );
  sha = commit('pipeline');
  const registered = await stack.request('POST', '/v1/repositories', {
    name: 'acme/web',
    provider: 'github',
    cloneUrl: repo,
    webhookSecret: SECRET,
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

/** A page in a fresh context, signed in with `token`, at `path` (axe may run in it). */
async function signedIn(token: string, path: string): Promise<Page> {
  const context = await newContext(browser, { forAxe: true });
  const page = await context.newPage();
  await page.goto(`${stack.baseUrl}${path}`);
  await signInWith(page, token);
  return page;
}

async function assertAccessible(page: Page, what: string): Promise<void> {
  const violations = await seriousA11yViolations(page);
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 2)}`);
}

const runPath = (id: string) => `/runs/${encodeURIComponent(id)}`;

test(
  'a webhook pipeline waits for approval: a viewer sees the gate but no Approve or Reject',
  { timeout: 120_000 },
  async () => {
    runId = await push(sha, 'console-delivery-1');
    await waitForApproval(runId);
    const page = await signedIn(viewerToken, runPath(runId));
    const gate = page.getByTestId('approval-deploy');
    await gate.getByText('This job waits for approval.').waitFor();
    await gate.getByText('An operator decides; your role may only look.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Reject' }).count(), 0);
    // The trigger is told as the forge said it, and markup in a step's output stays text.
    await page.getByText('push by github:alice').waitFor();
    await assertAccessible(page, 'a pipeline run waiting for approval (viewer)');
    await page.context().close();
  },
);

test(
  'another operator approves with a comment; the run completes on screen with who, when and why',
  { timeout: 120_000 },
  async () => {
    const page = await signedIn(approverToken, runPath(runId));
    const gate = page.getByTestId('approval-deploy');
    await page.getByRole('button', { name: 'Approve' }).waitFor();
    await shoot(page, 'pipeline-waiting');
    await assertAccessible(page, 'a pipeline run waiting for approval (operator)');
    await gate.getByLabel('Comment').fill('ship it <script>alert(1)</script>');
    const before = Date.now();
    await page.getByRole('button', { name: 'Approve' }).click();
    await gate.getByTestId('approval-by').waitFor({ timeout: 15_000 });
    assert.equal(await gate.getByTestId('approval-by').textContent(), 'release-manager');
    assert.equal(await gate.getByTestId('approval-comment').textContent(), 'ship it <script>alert(1)</script>');
    const at = await gate.locator('time').getAttribute('datetime');
    assert.ok(at && Date.parse(at) >= before - 5000 && Date.parse(at) <= Date.now(), `decided at ${at}`);
    assert.equal(await gate.locator('.status').textContent(), 'approved');
    await page.locator('.run-head .status-completed').waitFor({ timeout: 60_000 });
    const deploy = page.locator('section[data-job="deploy"]');
    await deploy.locator('.job-head .status-succeeded').waitFor({ timeout: 15_000 });
    // Every step shows its exit code and a duration once it ran.
    const releaseRow = deploy.locator('tr[data-step="2"]');
    assert.equal((await releaseRow.locator('td').nth(3).textContent())?.trim(), '0');
    assert.match((await releaseRow.locator('td').nth(2).textContent()) ?? '', /\d/);

    // A step's log, from its link on the run page.
    await page.locator('section[data-job="build"]').getByRole('link', { name: 'compile' }).click();
    await page.waitForURL(/\?job=build&step=0$/);
    await page.waitForFunction(() =>
      (globalThis as any).document
        .querySelector('[data-testid="log-text"]')
        ?.textContent?.includes('compiled the <b>web</b> app'),
    );
    assert.equal(await page.locator('[data-testid="log-text"] b').count(), 0, 'the log is text, not markup');
    await shoot(page, 'pipeline-completed');
    await assertAccessible(page, 'a completed pipeline run with a step log');

    // The artifact, downloaded with the session cookie from the page's link, is the stored tar byte for byte.
    const link = page.getByRole('link', { name: 'app.tar' });
    const href = await link.getAttribute('href');
    assert.equal(href, `/v1/runs/${encodeURIComponent(runId)}/artifacts/build/app`);
    const downloaded = await page.evaluate(async (url) => {
      const response = await fetch(url);
      return {
        status: response.status,
        disposition: response.headers.get('content-disposition'),
        bytes: Array.from(new Uint8Array(await response.arrayBuffer())),
      };
    }, href!);
    assert.equal(downloaded.status, 200);
    assert.match(downloaded.disposition ?? '', /^attachment/);
    const stored = readFileSync(join(stack.deps.artifacts.artifactDir, artifactKey(runId, 'build', 'app')));
    assert.ok(Buffer.from(downloaded.bytes).equals(stored), 'the downloaded tar is the stored one');
    assert.ok(stored.includes(Buffer.from(`release ${sha}`)));
    await page.context().close();
  },
);

test('a failed deploy shows its rollback as a rollback, with the rollback step log', { timeout: 120_000 }, async () => {
  writeFileSync(join(repo, 'BROKEN'), 'yes\n');
  const broken = commit('a broken release');
  const id = await push(broken, 'console-delivery-2');
  await waitForApproval(id);
  const approved = await stack.request(
    'POST',
    `/v1/runs/${encodeURIComponent(id)}/approve`,
    { job: 'deploy' },
    { authorization: `Bearer ${approverToken}` },
  );
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const run = await waitForRunEnd(stack, encodeURIComponent(id), 60_000);
  assert.equal(run.status, 'failed');
  const page = await signedIn(viewerToken, runPath(id));
  const rollback = page.getByTestId('rollback-deploy');
  await rollback.getByRole('heading', { name: /Rollback/ }).waitFor();
  await rollback.locator('h3 .status-succeeded').waitFor();
  const failedRow = page.locator('section[data-job="deploy"] tr[data-step="2"]');
  assert.equal((await failedRow.locator('td').nth(3).textContent())?.trim(), '3');
  await rollback.getByRole('link', { name: 'restore previous release' }).click();
  await page.waitForURL(/step=rollback-0$/);
  await page.waitForFunction(
    (previous) =>
      (globalThis as any).document
        .querySelector('[data-testid="log-text"]')
        ?.textContent?.includes(`rolled back to ${previous}`),
    sha,
  );
  await shoot(page, 'pipeline-rollback');
  await assertAccessible(page, 'a rolled-back pipeline run');
  await page.context().close();
});

test(
  'the pipelines page groups runs by repository and branch; environments show the current release and history',
  { timeout: 60_000 },
  async () => {
    const page = await signedIn(viewerToken, '/pipelines');
    const group = page.getByRole('region', { name: 'acme/web on main' });
    const row = group.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', new RegExp(`push by webhook:github.*${sha.slice(0, 12)}`));
    assert.equal(await group.locator('tbody tr').count(), 2);
    await page.getByLabel('Branch').selectOption('main');
    await page.waitForURL(/\/pipelines\?branch=main$/);
    await row.waitFor();
    await shoot(page, 'pipelines');
    await assertAccessible(page, 'the pipelines page');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Environments' }).click();
    const production = page.locator('section[data-environment="production"]');
    await production.getByText(`Current release ${sha.slice(0, 12)}`, { exact: false }).waitFor();
    assert.equal(await production.locator('tbody tr').count(), 1, 'the broken release never became current');
    await production.getByRole('link', { name: runId }).first().waitFor();
    await shoot(page, 'environments');
    await assertAccessible(page, 'the environments page');
    await page.context().close();
  },
);

test(
  'the triggerer is refused in place; another operator rejects with a comment, and the run ends rejected',
  { timeout: 120_000 },
  async () => {
    const started = await stack.request(
      'POST',
      '/v1/pipelines/runs',
      { repository: 'acme/web', cloneUrl: repo, sha, branch: 'main' },
      { authorization: `Bearer ${approverToken}` },
    );
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id: string = started.body.runId;
    await waitForApproval(id);
    const own = await signedIn(approverToken, runPath(id));
    await own.getByText('manual by release-manager').waitFor();
    await own.getByRole('button', { name: 'Approve' }).click();
    const refusal = own.getByTestId('approval-deploy').getByRole('alert');
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? '', /triggered this run/);
    await own.context().close();

    const other = (await stack.mintToken('operator', { principal: 'second-operator' })).token;
    const page = await signedIn(other, runPath(id));
    const gate = page.getByTestId('approval-deploy');
    await gate.getByLabel('Comment').fill('not on a Friday');
    await page.getByRole('button', { name: 'Reject' }).click();
    await gate.getByTestId('approval-by').waitFor({ timeout: 15_000 });
    assert.equal(await gate.getByTestId('approval-by').textContent(), 'second-operator');
    assert.equal(await gate.getByTestId('approval-comment').textContent(), 'not on a Friday');
    assert.equal(await gate.locator('.status').textContent(), 'rejected');
    await page.locator('.run-head .status-failed').waitFor({ timeout: 30_000 });
    await shoot(page, 'pipeline-rejected');
    await assertAccessible(page, 'a rejected pipeline run');
    await page.context().close();
  },
);
