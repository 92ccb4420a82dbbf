/**
 * Job matrices on real workers of two node classes: each combination is a job of its own (class,
 * worker, step log, record, commit status), a job that needs the matrix waits for all of it, and one
 * failed combination cancels the others with fail-fast or lets them finish without it. Commit
 * statuses go to a local HTTP server standing in for GitHub (the one remote service a test cannot reach).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, newContext, signInWith } from './helpers/browser';
import { gitIn } from './helpers/git';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

interface Status {
  state: string;
  context: string;
  description: string;
}

let stack: TestStack;
let repo: string;
let sha: string;
let forge: Server;
const statuses: Status[] = [];

/** A pipeline of matrix job `test` (with `strategy` lines and the step script given) and a job `after` that needs it. */
function pipeline(name: string, strategy: string, script: string): string {
  return `name: ${name}
on: { manual: true }
jobs:
  test:
    runs-on: '\${{ matrix.os }}'
    strategy:
${strategy}
    env: { OS: '\${{ matrix.os }}' }
    steps:
      - name: 'v\${{ matrix.v }} on \${{ matrix.os }}'
        run: |
          echo "combination v=\${{ matrix.v }} os=$OS job=$CAPSTAN_JOB"
${script}
  after:
    runs-on: a
    needs: [test]
    steps:
      - run: echo after
`;
}

before(async () => {
  forge = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      statuses.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Status);
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => forge.once('listening', r));
  stack = await startTestStack();
  repo = mkdtempSync(join(tmpdir(), 'capstan-matrix-repo-'));
  gitIn(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(
    join(repo, '.capstan', 'all.yaml'),
    pipeline('matrix-all', '      matrix: { v: [1, 2, 3], os: [a, b] }', '          sleep 0.2'),
  );
  // v=2 fails at once; v=1 would sleep 30 s, so only a cancellation ends it soon; max-parallel leaves v=3, v=4 pending.
  const failing =
    '          if [ "${{ matrix.v }}" = 2 ]; then echo "v2 broke"; exit 1; fi\n          sleep ${{ matrix.sleep }}';
  writeFileSync(
    join(repo, '.capstan', 'fail-fast.yaml'),
    pipeline('matrix-ff', '      matrix: { v: [1, 2, 3, 4], os: [a], sleep: [30] }\n      max-parallel: 2', failing),
  );
  writeFileSync(
    join(repo, '.capstan', 'no-fail-fast.yaml'),
    pipeline('matrix-noff', '      matrix: { v: [1, 2, 3], os: [a, b], sleep: [1] }\n      fail-fast: false', failing),
  );
  writeFileSync(
    join(repo, '.capstan', 'bad.yaml'),
    pipeline('matrix-bad', '      matrix: { v: [1, 2], os: [a, gpu] }', '          echo "${{ matrix.version }}"'),
  );
  const nine = '[1, 2, 3, 4, 5, 6, 7, 8, 9]';
  writeFileSync(
    join(repo, '.capstan', 'big.yaml'),
    pipeline('matrix-big', `      matrix: { v: ${nine}, w: ${nine}, os: [a] }`, ''),
  );
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'pipelines');
  sha = gitIn(repo, 'rev-parse', 'HEAD');
  const registered = await stack.request('POST', '/v1/repositories', {
    name: 'acme/matrix',
    provider: 'github',
    cloneUrl: repo,
    webhookSecret: 'x'.repeat(16),
    statusApiUrl: `http://127.0.0.1:${(forge.address() as AddressInfo).port}`,
    statusToken: 'ghp_test',
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
});

after(async () => {
  await stack?.stop();
  await new Promise((r) => forge?.close(r));
  if (repo) rmSync(repo, { recursive: true, force: true });
});

async function run(pipelinePath: string): Promise<any> {
  const started = await stack.request('POST', '/v1/pipelines/runs', {
    repository: 'acme/matrix',
    cloneUrl: repo,
    sha,
    branch: 'main',
    pipelinePath,
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForRunEnd(stack, started.body.runId, 120_000);
}

/** The states reported for each context of pipeline `name`, in the order they arrived. */
function statesOf(name: string): Record<string, string[]> {
  const byContext: Record<string, string[]> = {};
  for (const s of statuses.filter((s) => s.context.startsWith(`capstan/${name}`)))
    (byContext[s.context] ??= []).push(s.state);
  return byContext;
}

async function stepLog(runId: string, job: string, step: number): Promise<{ status: number; text: string }> {
  const response = await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(runId)}/jobs/${job}/steps/${step}/log`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  return { status: response.status, text: await response.text() };
}

test(
  'a 3×2 matrix runs 6 jobs on the classes it names, each with its log and commit status; `needs` waits for all',
  { timeout: 180_000 },
  async () => {
    const ended = await run('.capstan/all.yaml');
    assert.equal(ended.status, 'completed', JSON.stringify(ended.failure ?? ended.pipeline));
    const jobs: any[] = ended.pipeline.jobs;
    const combos = jobs.filter((j) => j.job === 'test');
    assert.deepEqual(
      combos.map((j) => [j.id, j.name, j.matrix, j.nodeClass, j.status]),
      [
        ['test[0]', 'test (1, a)', { v: 1, os: 'a' }, 'a', 'succeeded'],
        ['test[1]', 'test (1, b)', { v: 1, os: 'b' }, 'b', 'succeeded'],
        ['test[2]', 'test (2, a)', { v: 2, os: 'a' }, 'a', 'succeeded'],
        ['test[3]', 'test (2, b)', { v: 2, os: 'b' }, 'b', 'succeeded'],
        ['test[4]', 'test (3, a)', { v: 3, os: 'a' }, 'a', 'succeeded'],
        ['test[5]', 'test (3, b)', { v: 3, os: 'b' }, 'b', 'succeeded'],
      ],
    );
    for (const combo of combos) {
      assert.match(combo.worker, new RegExp(`/${combo.nodeClass}/\\d+$`), `${combo.id} ran on a worker of its class`);
      assert.equal(combo.steps[0].name, `v${combo.matrix.v} on ${combo.matrix.os}`, 'step names render the matrix');
    }
    const afterJob = jobs.find((j) => j.id === 'after');
    assert.equal(afterJob.status, 'succeeded');
    const lastCombo = combos
      .map((j) => j.finishedAt as string)
      .sort()
      .at(-1)!;
    assert.ok(afterJob.startedAt >= lastCombo, 'the job that needs the matrix starts after its last combination');
    // Each combination's own log, by its id: brackets as typed and percent-encoded both reach it.
    for (const [i, combo] of combos.entries()) {
      const job = i % 2 === 0 ? combo.id : encodeURIComponent(combo.id);
      const log = await stepLog(ended.runId, job, 0);
      assert.equal(log.status, 200, log.text);
      assert.match(log.text, new RegExp(`combination v=${combo.matrix.v} os=${combo.matrix.os} job=test\\[${i}\\]`));
    }
    assert.equal((await stepLog(ended.runId, 'test[6]', 0)).status, 404, 'no seventh combination');
    assert.equal((await stepLog(ended.runId, 'test[x]', 0)).status, 400);
    const expected: Record<string, string[]> = { 'capstan/matrix-all': ['pending', 'success'] };
    for (const combo of combos) expected[`capstan/matrix-all/${combo.name}`] = ['pending', 'success'];
    expected['capstan/matrix-all/after'] = ['pending', 'success'];
    assert.deepEqual(statesOf('matrix-all'), expected);
    assert.equal(combos[0].commitStatus, 'reported success');

    // The console's run page: a combination under its name, its step log behind a link that carries `test[3]`.
    const browser = await launchBrowser();
    try {
      const page = await (await newContext(browser)).newPage();
      await page.goto(`${stack.baseUrl}/runs/${encodeURIComponent(ended.runId)}`);
      await signInWith(page, stack.adminToken);
      const section = page.locator('section[data-job="test[3]"]');
      await section.getByRole('heading', { name: 'test (2, b) test[3]' }).waitFor();
      await section.getByRole('link', { name: 'v2 on b' }).click();
      await page.waitForURL(/\?job=test%5B3%5D&step=0$/);
      await page.waitForFunction(() =>
        (globalThis as any).document
          .querySelector('[data-testid="log-text"]')
          ?.textContent?.includes('combination v=2 os=b job=test[3]'),
      );
    } finally {
      await browser.close();
    }
  },
);

test(
  'fail-fast: one failed combination cancels the running and pending ones, naming it',
  { timeout: 180_000 },
  async () => {
    const began = Date.now();
    const ended = await run('.capstan/fail-fast.yaml');
    assert.ok(Date.now() - began < 25_000, 'the 30 s sleep was cut short');
    assert.equal(ended.status, 'failed');
    const jobs: any[] = ended.pipeline.jobs;
    const byId = Object.fromEntries(jobs.map((j) => [j.id, j]));
    assert.equal(byId['test[1]'].status, 'failed');
    assert.match(byId['test[1]'].message, /v2 broke/);
    for (const id of ['test[0]', 'test[2]', 'test[3]']) {
      assert.equal(byId[id].status, 'cancelled', `${id}: ${JSON.stringify(byId[id])}`);
      assert.equal(byId[id].message, 'cancelled because test[1] (test (2, a, 30)) failed (fail-fast)');
    }
    assert.equal(byId['test[0]'].steps[0].status, 'cancelled', 'test[0] was running and was stopped');
    assert.equal(byId['test[2]'].worker, undefined, 'test[2] never started (max-parallel: 2)');
    assert.equal(byId.after.status, 'skipped');
    assert.match(ended.failure.message, /test\[1\]/);
    assert.match((await stepLog(ended.runId, 'test[1]', 0)).text, /v2 broke/);
    assert.deepEqual(statesOf('matrix-ff'), {
      'capstan/matrix-ff': ['pending', 'failure'],
      'capstan/matrix-ff/test (1, a, 30)': ['pending', 'error'],
      'capstan/matrix-ff/test (2, a, 30)': ['pending', 'failure'],
      'capstan/matrix-ff/test (3, a, 30)': ['error'],
      'capstan/matrix-ff/test (4, a, 30)': ['error'],
    });
    const cancelled = statuses.find((s) => s.context === 'capstan/matrix-ff/test (1, a, 30)' && s.state === 'error');
    assert.match(cancelled!.description, /cancelled because test\[1\]/);
  },
);

test(
  'without fail-fast the other combinations finish; the run fails for the one that failed',
  { timeout: 180_000 },
  async () => {
    const ended = await run('.capstan/no-fail-fast.yaml');
    assert.equal(ended.status, 'failed');
    const combos: any[] = ended.pipeline.jobs.filter((j: any) => j.job === 'test');
    assert.deepEqual(
      combos.map((j) => [j.id, j.status]),
      [
        ['test[0]', 'succeeded'],
        ['test[1]', 'succeeded'],
        ['test[2]', 'failed'],
        ['test[3]', 'failed'],
        ['test[4]', 'succeeded'],
        ['test[5]', 'succeeded'],
      ],
    );
    assert.equal(ended.pipeline.jobs.find((j: any) => j.id === 'after').status, 'skipped');
    const states = statesOf('matrix-noff');
    assert.deepEqual(states['capstan/matrix-noff/test (2, b, 1)'], ['pending', 'failure']);
    assert.deepEqual(states['capstan/matrix-noff/test (3, b, 1)'], ['pending', 'success']);
    assert.deepEqual(states['capstan/matrix-noff'], ['pending', 'failure']);
  },
);

test('a matrix with an unknown class or key, or over the deployment’s limit, is a 400 at its line and starts nothing', async () => {
  const runsBefore = await stack.countRuns('pipeline');
  const start = (pipelinePath: string) =>
    stack.request('POST', '/v1/pipelines/runs', {
      repository: 'acme/matrix',
      cloneUrl: repo,
      sha,
      branch: 'main',
      pipelinePath,
    });
  const bad = await start('.capstan/bad.yaml');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.message.split('\n'), [
    '.capstan/bad.yaml:5:5: jobs.test.runs-on: combination test[1] (v: 1, os: gpu) runs on unknown node class "gpu" (and 1 more); known: a, b',
    '.capstan/bad.yaml:11:9: jobs.test.steps[0].run: matrix.version: job "test" has no matrix key "version"; its keys: v, os',
  ]);
  const big = await start('.capstan/big.yaml');
  assert.equal(big.status, 400);
  assert.match(
    big.body.error.message,
    /^\.capstan\/big\.yaml:7:7: jobs\.test\.strategy\.matrix: expands to 81 combinations, over the limit of 64$/,
  );
  assert.equal(await stack.countRuns('pipeline'), runsBefore, 'nothing started');
});
