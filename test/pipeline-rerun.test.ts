/**
 * Re-running a pipeline run, as GitHub's "Re-run failed jobs" and "Re-run job": only the failed jobs
 * and their dependents run again; the succeeded jobs are taken over with their outputs and artifacts
 * (their steps do not run); one job can be re-run on request; bad requests are refused naming the field.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, newContext, seriousA11yViolations, shoot, signInWith } from './helpers/browser';
import { gitIn } from './helpers/git';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
let repo: string;
let marks: string;
let sha: string;

before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
  repo = mkdtempSync(join(tmpdir(), 'capstan-rerun-repo-'));
  marks = mkdtempSync(join(tmpdir(), 'capstan-rerun-marks-'));
  gitIn(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  // Each job appends a line to its own file, so the test counts how often each really ran.
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: rerun
on: { manual: true }
env: { MARKS: ${marks} }
jobs:
  build:
    runs-on: a
    outputs: { version: '\${{ steps.pkg.outputs.version }}' }
    steps:
      - run: echo ran >> "$MARKS/build"
      - id: pkg
        run: mkdir -p out && echo "bytes-$CAPSTAN_RUN_ID" > out/app.txt && echo "version=v-$CAPSTAN_RUN_ID" >> "$CAPSTAN_OUTPUT"
      - upload-artifact: { name: app, path: out }
  lint:
    runs-on: a
    steps:
      - run: echo ran >> "$MARKS/lint"
  test:
    runs-on: a
    needs: [build]
    steps:
      - run: echo ran >> "$MARKS/test" && test -f "$MARKS/fixed"
  deploy:
    runs-on: a
    needs: [build, test]
    steps:
      - download-artifact: { name: app }
      - run: |
          echo ran >> "$MARKS/deploy"
          cat out/app.txt >> "$MARKS/deployed"
          echo "\${{ needs.build.outputs.version }}" >> "$MARKS/deployed"
`,
  );
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'pipeline');
  sha = gitIn(repo, 'rev-parse', 'HEAD');
});

after(async () => {
  await stack?.stop();
  for (const dir of [repo, marks]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const runPath = (runId: string, ...rest: string[]) => `/v1/runs/${[runId, ...rest].map(encodeURIComponent).join('/')}`;
const ranTimes = (job: string): number => {
  try {
    return readFileSync(join(marks, job), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};
const jobOf = (run: any, id: string) => run.pipeline.jobs.find((j: any) => j.id === id);

let firstRun: string;
let rerun: string;

test(
  'a run whose test job fails: test failed, deploy skipped, build and lint succeeded',
  { timeout: 120_000 },
  async () => {
    const started = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'acme/rerun',
      cloneUrl: repo,
      sha,
      branch: 'main',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    firstRun = started.body.runId;
    const run = await waitForRunEnd(stack, encodeURIComponent(firstRun), 90_000);
    assert.equal(run.status, 'failed');
    assert.deepEqual(Object.fromEntries(run.pipeline.jobs.map((j: any) => [j.id, j.status])), {
      build: 'succeeded',
      lint: 'succeeded',
      test: 'failed',
      deploy: 'skipped',
    });
    assert.deepEqual([ranTimes('build'), ranTimes('lint'), ranTimes('test'), ranTimes('deploy')], [1, 1, 1, 0]);
  },
);

test(
  "re-run failed jobs runs test and deploy only, with build's outputs and artifact taken over",
  { timeout: 120_000 },
  async () => {
    writeFileSync(join(marks, 'fixed'), '');
    const answer = await stack.request('POST', runPath(firstRun, 'retry'));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.body.retryOf, firstRun);
    assert.equal(answer.body.reused, 2);
    assert.equal(answer.body.rerun, 2);
    rerun = answer.body.runId;
    const run = await waitForRunEnd(stack, encodeURIComponent(rerun), 90_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    assert.equal(run.pipeline.rerunOf, firstRun);
    assert.equal(jobOf(run, 'build').reusedFrom, firstRun);
    assert.equal(jobOf(run, 'lint').reusedFrom, firstRun);
    assert.equal(jobOf(run, 'test').reusedFrom, undefined);
    assert.equal(jobOf(run, 'deploy').status, 'succeeded');
    // build and lint did not run again; test ran a second time, deploy a first.
    assert.deepEqual([ranTimes('build'), ranTimes('lint'), ranTimes('test'), ranTimes('deploy')], [1, 1, 2, 1]);
    // deploy read the first run's build: its artifact (copied into this run) and its output.
    assert.deepEqual(readFileSync(join(marks, 'deployed'), 'utf8').trim().split('\n'), [
      `bytes-${firstRun}`,
      `v-${firstRun}`,
    ]);
    const artifacts = await stack.request('GET', runPath(rerun, 'artifacts'));
    assert.equal(artifacts.status, 200, JSON.stringify(artifacts.body));
    assert.deepEqual(
      artifacts.body.artifacts.map((a: any) => `${a.job}/${a.name}`),
      ['build/app'],
    );
  },
);

test(
  're-run one job: it and its dependents run again, every other job is taken over',
  { timeout: 120_000 },
  async () => {
    const answer = await stack.request('POST', runPath(rerun, 'retry'), { job: 'test' });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual([answer.body.reused, answer.body.rerun], [2, 2]);
    const run = await waitForRunEnd(stack, encodeURIComponent(answer.body.runId), 90_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    // The build taken over twice still names the run that really ran it.
    assert.equal(jobOf(run, 'build').reusedFrom, firstRun);
    assert.deepEqual([ranTimes('build'), ranTimes('lint'), ranTimes('test'), ranTimes('deploy')], [1, 1, 3, 2]);
  },
);

test('bad re-run requests are refused naming the field, and start nothing', { timeout: 60_000 }, async () => {
  const before = (await stack.request('GET', '/v1/runs?kind=pipeline')).body.runs.length;
  const succeeded = await stack.request('POST', runPath(rerun, 'retry'));
  assert.equal(succeeded.status, 409);
  assert.match(succeeded.body.error.message, /no job failed; name a job/);
  const unknown = await stack.request('POST', runPath(rerun, 'retry'), { job: 'nope' });
  assert.equal(unknown.status, 422);
  assert.equal(unknown.body.error.details[0].field, 'job');
  const wrongType = await stack.request('POST', runPath(rerun, 'retry'), { job: 5 });
  assert.equal(wrongType.status, 400);
  assert.equal(wrongType.body.error.details[0].field, 'job');
  const extra = await stack.request('POST', runPath(rerun, 'retry'), { jobs: ['test'] });
  assert.equal(extra.status, 400);
  const missing = await stack.request('POST', runPath('pipeline-does-not-exist', 'retry'));
  assert.equal(missing.status, 404);
  const after = (await stack.request('GET', '/v1/runs?kind=pipeline')).body.runs.length;
  assert.equal(after, before);
  assert.deepEqual([ranTimes('build'), ranTimes('test'), ranTimes('deploy')], [1, 3, 2]);
});

test(
  'the console: Re-run failed jobs on a failed run opens the re-run, with its reused jobs marked',
  { timeout: 120_000 },
  async () => {
    const operator = await stack.mintToken('operator', { principal: 'console-rerunner' });
    const browser = await launchBrowser();
    try {
      const page = await (await newContext(browser, { forAxe: true })).newPage();
      await page.goto(`${stack.baseUrl}/runs/${encodeURIComponent(firstRun)}`);
      await signInWith(page, operator.token);
      await page.getByRole('button', { name: 'Re-run job test' }).waitFor();
      await page.getByRole('button', { name: 'Re-run failed jobs' }).click();
      await page.waitForURL((url) => !url.pathname.endsWith(encodeURIComponent(firstRun)));
      const build = page.locator('[data-job="build"]');
      await build.getByText('reused', { exact: true }).waitFor();
      await page.locator('[data-job="lint"]').getByText('reused', { exact: true }).waitFor();
      await page.getByText(/A re-run of/).waitFor();
      assert.equal(await page.locator('[data-job="test"]').getByText('reused', { exact: true }).count(), 0);
      // The reused build's logs are in the run that ran it.
      assert.equal(
        await build.getByRole('link', { name: firstRun }).getAttribute('href'),
        `/runs/${encodeURIComponent(firstRun)}`,
      );
      await page.locator('[data-job="deploy"]').getByText('succeeded').first().waitFor({ timeout: 60_000 });
      await shoot(page, 'pipeline-rerun');
      assert.deepEqual(await seriousA11yViolations(page), []);
    } finally {
      await browser.close();
    }
  },
);
