/**
 * A pipeline end to end on real workers: a fixture Node project in a local git repository, built and
 * tested on class a, its artifact deployed on class b after an approval, started as a local process
 * and health-checked; a broken release is rolled back to the previous one. Step logs through the API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from './helpers/ports';
import { waitForFile } from './helpers/wait';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';
import { gitIn } from './helpers/git';
import { DOLLAR_BRANCH, dollarBranchScenario } from './helpers/dollar-branch-scenario';
import { concurrencyLockId } from '../workflows/concurrency-lock-workflow';

let stack: TestStack;
let repo: string;
let deployRoot: string;
let port: number;

function git(...args: string[]): string {
  return gitIn(repo, ...args);
}

/** Commits a version of the app whose /health answers `healthy`; returns the commit SHA. */
function commitApp(healthy: boolean): string {
  writeFileSync(
    join(repo, 'app.js'),
    `const http = require('http');
const version = require('fs').readFileSync(__dirname + '/VERSION', 'utf8').trim();
http.createServer((req, res) => { res.statusCode = req.url === '/health' && !${healthy} ? 500 : 200; res.end(version); }).listen(Number(process.env.PORT), '127.0.0.1');
`,
  );
  git('add', '-A');
  git('commit', '-q', '-m', healthy ? 'healthy release' : 'broken release');
  return git('rev-parse', 'HEAD');
}

// The app outlives its step in a session of its own; the pause lets setsid take effect before the step ends,
// because the worker kills whatever is left in the step's process group then.
const start = (sha: string) =>
  `setsid nohup node "${'$'}ROOT/releases/${sha}/app.js" > "${'$'}ROOT/app.log" 2>&1 < /dev/null & echo $! > "${'$'}ROOT/pid"; sleep 1`;

before(async () => {
  stack = await startTestStack();
  repo = mkdtempSync(join(tmpdir(), 'capstan-fixture-repo-'));
  deployRoot = mkdtempSync(join(tmpdir(), 'capstan-deploy-'));
  port = await freePort();
  git('init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(
    join(repo, 'package.json'),
    JSON.stringify({ name: 'fixture', version: '1.0.0', scripts: { test: 'node test.js' } }),
  );
  writeFileSync(
    join(repo, 'test.js'),
    "require('assert').ok(require('fs').existsSync('app.js')); console.log('1 test passed');\n",
  );
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: web
on:
  manual: true
  push: { branches: [main] }
env:
  ROOT: ${deployRoot}
  PORT: "${port}"
jobs:
  build:
    runs-on: a
    steps:
      - checkout: true
      - name: install and test
        run: npm install --offline --no-audit --no-fund && npm test
      - name: package
        run: mkdir -p dist && cp app.js dist/ && echo "$CAPSTAN_SHA" > dist/VERSION && echo "version=$CAPSTAN_SHA" >> "$CAPSTAN_OUTPUT"
      - upload-artifact: { name: app, path: dist }
  deploy:
    runs-on: b
    needs: [build]
    environment:
      name: production
      approval: { required: true }
    steps:
      - download-artifact: { name: app }
      - name: start
        run: |
          mkdir -p "$ROOT/releases/$CAPSTAN_SHA" && cp -r dist/. "$ROOT/releases/$CAPSTAN_SHA/"
          echo "$CAPSTAN_SHA" > "$ROOT/current"
          if [ -f "$ROOT/pid" ]; then kill "$(cat "$ROOT/pid")" 2>/dev/null || true; sleep 0.3; fi
          ${start('$CAPSTAN_SHA')}
      - name: health check
        run: |
          for i in $(seq 1 50); do
            if node -e "fetch('http://127.0.0.1:$PORT/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(2))"; then echo healthy; exit 0; fi
            sleep 0.1
          done
          echo "health check failed"; exit 1
    rollback:
      - name: restore previous release
        run: |
          PREVIOUS="$CAPSTAN_PREVIOUS_SHA"
          kill "$(cat "$ROOT/pid")" 2>/dev/null || true; sleep 0.3
          echo "$PREVIOUS" > "$ROOT/current"
          ${start('$PREVIOUS')}
          echo "rolled back to $PREVIOUS"
`,
  );
});

after(async () => {
  const pidFile = join(deployRoot, 'pid');
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')));
    } catch {
      /* already gone */
    }
  }
  await stack?.stop();
  rmSync(repo, { recursive: true, force: true });
  rmSync(deployRoot, { recursive: true, force: true });
});

async function runAndApprove(sha: string): Promise<any> {
  const started = await stack.request('POST', '/v1/pipelines/runs', {
    repository: 'acme/web',
    cloneUrl: repo,
    sha,
    branch: 'main',
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const runId: string = started.body.runId;
  // Waits for approval with no worker held; the run's triggerer may not approve it.
  let run: any;
  for (let i = 0; ; i++) {
    run = (await stack.request('GET', `/v1/runs/${encodeURIComponent(runId)}`)).body;
    if (run.pipeline?.jobs.find((j: any) => j.id === 'deploy')?.status === 'waiting-approval') break;
    assert.ok(
      i < 600 && run.status === 'running',
      `deploy never waited for approval: ${JSON.stringify(run.pipeline ?? run.failure)}`,
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(run.pipeline.jobs.find((j: any) => j.id === 'build').status, 'succeeded');
  const self = await stack.request('POST', `/v1/runs/${encodeURIComponent(runId)}/approve`, { job: 'deploy' });
  assert.equal(self.status, 409);
  assert.match(self.body.error.message, /triggered this run/);
  const operator = await stack.mintToken('operator', { principal: 'release-manager' });
  const approved = await stack.request(
    'POST',
    `/v1/runs/${encodeURIComponent(runId)}/approve`,
    { job: 'deploy', comment: 'ship it' },
    { authorization: `Bearer ${operator.token}` },
  );
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  assert.equal(approved.body.job.approval.by, 'release-manager');
  return waitForRunEnd(stack, runId, 120_000);
}

async function appAnswers(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return (await response.text()).trim();
}

test(
  'push → build and test on class a, artifact → approved deploy on class b → health check passes; every step log readable',
  { timeout: 240_000 },
  async () => {
    const v1 = commitApp(true);
    const run = await runAndApprove(v1);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    const [build, deploy] = run.pipeline.jobs;
    assert.match(build.worker, /\/a\/\d+$/);
    assert.match(deploy.worker, /\/b\/\d+$/);
    assert.deepEqual(
      build.steps.map((s: any) => s.status),
      ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
    );
    assert.deepEqual(build.steps[2].outputs, { version: v1 }, "a step's $CAPSTAN_OUTPUT is kept with it");
    assert.equal(await appAnswers(), v1, 'the deployed process serves the built commit');
    const expectedLogs: Array<[string, number, RegExp]> = [
      ['build', 0, new RegExp(`checked out ${v1}`)],
      ['build', 1, /1 test passed/],
      ['build', 2, /exit code 0/],
      ['build', 3, /uploaded artifact "app"/],
      ['deploy', 0, /downloaded artifact "app"/],
      ['deploy', 1, /exit code 0/],
      ['deploy', 2, /healthy/],
    ];
    for (const [job, step, pattern] of expectedLogs) {
      const response = await fetch(
        `${stack.baseUrl}/v1/runs/${encodeURIComponent(run.runId)}/jobs/${job}/steps/${step}/log`,
        { headers: { authorization: `Bearer ${stack.adminToken}` } },
      );
      assert.equal(response.status, 200);
      assert.match(await response.text(), pattern, `log of ${job} step ${step}`);
    }
    const missing = await stack.request('GET', `/v1/runs/${encodeURIComponent(run.runId)}/jobs/build/steps/9/log`);
    assert.equal(missing.status, 404);
    const followed = await (
      await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(run.runId)}/jobs/build/steps/1/log?follow=true`, {
        headers: { authorization: `Bearer ${stack.adminToken}` },
      })
    ).text();
    assert.match(followed, /event: log[\s\S]*1 test passed[\s\S]*event: end/);
    assert.deepEqual(deploy.deployment, { environment: 'production', sha: v1 }, 'the first deploy replaces nothing');
    const environments = await stack.request('GET', '/v1/environments');
    assert.deepEqual(
      environments.body.environments.map((e: any) => [e.name, e.current.sha, e.current.runId]),
      [['production', v1, run.runId]],
    );
    const metered = await stack.request('GET', `/v1/runs/${encodeURIComponent(run.runId)}/attempts`);
    assert.equal(metered.body.attempts.length, 7, 'every step attempt is metered');
  },
);

test(
  'a broken release fails its health check; rollback restores the previous release and the run records both',
  { timeout: 240_000 },
  async () => {
    const v1 = readFileSync(join(deployRoot, 'current'), 'utf8').trim();
    const v2 = commitApp(false);
    const run = await runAndApprove(v2);
    assert.equal(run.status, 'failed');
    const deploy = run.pipeline.jobs.find((j: any) => j.id === 'deploy');
    assert.equal(deploy.status, 'failed');
    assert.equal(deploy.steps[2].status, 'failed');
    assert.equal(deploy.steps[2].exitCode, 1);
    assert.equal(deploy.rollback.status, 'succeeded');
    assert.deepEqual(
      deploy.rollback.steps.map((s: any) => [s.name, s.status]),
      [['restore previous release', 'succeeded']],
    );
    assert.match(run.failure.message, /deploy/);
    assert.equal(await appAnswers(), v1, 'the previous release serves again');
    assert.deepEqual(deploy.deployment, { environment: 'production', sha: v2, previousSha: v1 });
    const history = await stack.request('GET', '/v1/environments/production/deployments');
    assert.deepEqual(
      history.body.deployments.map((d: any) => d.sha),
      [v1],
      'a failed deploy is not recorded as the current release',
    );
    const log = await (
      await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(run.runId)}/jobs/deploy/steps/rollback-0/log`, {
        headers: { authorization: `Bearer ${stack.adminToken}` },
      })
    ).text();
    assert.match(log, new RegExp(`rolled back to ${v1}`));
  },
);

test(
  'two runs of one concurrency group with cancel-in-progress: the first is cancelled, the second completes',
  { timeout: 180_000 },
  async () => {
    const marks = mkdtempSync(join(tmpdir(), 'capstan-concurrency-'));
    try {
      writeFileSync(
        join(repo, '.capstan', 'concurrency.yaml'),
        `name: ci
on: { manual: true }
concurrency: { group: 'ci-\${{ branch }}', cancelInProgress: true }
jobs:
  slow:
    runs-on: a
    steps:
      - run: |
          # Decide before announcing the start, so the test's "fast" mark cannot reach the first run.
          if [ -f "${marks}/fast" ]; then exit 0; fi
          touch "${marks}/$CAPSTAN_RUN_ID"
          sleep 60
`,
      );
      git('add', '-A');
      git('commit', '-q', '-m', 'concurrency pipeline');
      const sha = git('rev-parse', 'HEAD');
      const body = {
        repository: 'acme/web',
        cloneUrl: repo,
        sha,
        branch: 'main',
        pipelinePath: '.capstan/concurrency.yaml',
      };
      const first = await stack.request('POST', '/v1/pipelines/runs', body);
      assert.equal(first.status, 202, JSON.stringify(first.body));
      await waitForFile(join(marks, first.body.runId));
      writeFileSync(join(marks, 'fast'), '');
      const second = await stack.request('POST', '/v1/pipelines/runs', body);
      assert.equal(second.status, 202);
      assert.notEqual(second.body.runId, first.body.runId);
      const [one, two] = await Promise.all([
        waitForRunEnd(stack, first.body.runId, 120_000),
        waitForRunEnd(stack, second.body.runId, 120_000),
      ]);
      assert.equal(one.status, 'cancelled', JSON.stringify(one.pipeline));
      assert.equal(two.status, 'completed', JSON.stringify(two.failure ?? two.pipeline));
      assert.equal(one.pipeline.jobs[0].status, 'cancelled');
    } finally {
      rmSync(marks, { recursive: true, force: true });
    }
  },
);

test(
  'kill -9 of the worker running a step: the job restarts cleanly from its first step on another worker and completes',
  { timeout: 180_000 },
  async () => {
    const marks = mkdtempSync(join(tmpdir(), 'capstan-kill-'));
    try {
      writeFileSync(
        join(repo, '.capstan', 'kill.yaml'),
        `name: kill
on: { manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - run: echo "$CAPSTAN_WORKSPACE" >> "${marks}/workspaces"; touch first-step-ran
      - run: |
          [ -f first-step-ran ] || { echo "the workspace lost the first step's file"; exit 9; }
          n=$(ls "${marks}" | grep -c '^attempt-' || true)
          touch "${marks}/attempt-$n"
          if [ "$n" -eq 0 ]; then sleep 120; fi
`,
      );
      git('add', '-A');
      git('commit', '-q', '-m', 'kill pipeline');
      const sha = git('rev-parse', 'HEAD');
      // A second worker of the class, so one survives the kill (the stack stops both at the end).
      await stack.startWorker('a');
      const started = await stack.request('POST', '/v1/pipelines/runs', {
        repository: 'acme/web',
        cloneUrl: repo,
        sha,
        branch: 'main',
        pipelinePath: '.capstan/kill.yaml',
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const runId: string = started.body.runId;
      await waitForFile(join(marks, 'attempt-0'));
      const holder = (await stack.request('GET', `/v1/runs/${encodeURIComponent(runId)}`)).body.pipeline.jobs[0]
        .worker as string;
      const pid = Number(holder.split('/').pop());
      process.kill(pid, 'SIGKILL');
      const run = await waitForRunEnd(stack, runId, 150_000);
      assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
      const job = run.pipeline.jobs[0];
      assert.notEqual(job.worker, holder, 'the job finished on another worker');
      assert.match(job.message, /lost; job restarted from its first step on another worker \(restart 1\)/);
      assert.deepEqual(
        job.steps.map((s: any) => s.status),
        ['succeeded', 'succeeded'],
      );
      assert.ok(existsSync(join(marks, 'attempt-1')), 'the second step ran again');
      assert.equal(
        readFileSync(join(marks, 'workspaces'), 'utf8').trim().split('\n').length,
        2,
        'the first step ran again too, in a fresh workspace',
      );
      const rows = (
        await stack.db.query(
          `SELECT task_id, attempt, outcome FROM task_attempts WHERE run_id = $1 ORDER BY started_at`,
          [runId],
        )
      ).rows;
      assert.deepEqual(
        rows.map((r) => `${r.task_id}:${r.outcome}`),
        ['build/0:succeeded', 'build/1:lost', 'build/0@restart-1:succeeded', 'build/1@restart-1:succeeded'],
      );
    } finally {
      rmSync(marks, { recursive: true, force: true });
    }
  },
);

test(
  'a deploy waiting for approval: rejected → the job fails naming who; no decision in time → it fails on the timeout',
  { timeout: 120_000 },
  async () => {
    writeFileSync(
      join(repo, '.capstan', 'approval.yaml'),
      `name: gate
on: { manual: true }
jobs:
  ship:
    runs-on: a
    environment:
      name: staging
      approval: { required: true, approvers: [release-manager], timeoutSeconds: 3 }
    steps:
      - run: echo shipped
`,
    );
    git('add', '-A');
    git('commit', '-q', '-m', 'approval pipeline');
    const sha = git('rev-parse', 'HEAD');
    const body = {
      repository: 'acme/web',
      cloneUrl: repo,
      sha,
      branch: 'main',
      pipelinePath: '.capstan/approval.yaml',
    };
    const waitForApproval = async (runId: string): Promise<void> => {
      for (let i = 0; ; i++) {
        const run = (await stack.request('GET', `/v1/runs/${encodeURIComponent(runId)}`)).body;
        if (run.pipeline?.jobs[0].status === 'waiting-approval') return;
        assert.ok(i < 300, `never waited for approval: ${JSON.stringify(run.pipeline ?? run.failure ?? run.status)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const rejected = await stack.request('POST', '/v1/pipelines/runs', body);
    await waitForApproval(rejected.body.runId);
    const stranger = await stack.mintToken('operator', { principal: 'someone-else' });
    const notAllowed = await stack.request(
      'POST',
      `/v1/runs/${encodeURIComponent(rejected.body.runId)}/approve`,
      { job: 'ship' },
      { authorization: `Bearer ${stranger.token}` },
    );
    assert.equal(notAllowed.status, 409);
    assert.match(notAllowed.body.error.message, /someone-else may not approve "ship"; approvers: release-manager/);
    const manager = await stack.mintToken('operator', { principal: 'release-manager' });
    const viewer = await stack.mintToken('viewer');
    assert.equal(
      (
        await stack.request(
          'POST',
          `/v1/runs/${encodeURIComponent(rejected.body.runId)}/reject`,
          { job: 'ship' },
          { authorization: `Bearer ${viewer.token}` },
        )
      ).status,
      403,
    );
    const no = await stack.request(
      'POST',
      `/v1/runs/${encodeURIComponent(rejected.body.runId)}/reject`,
      { job: 'ship', comment: 'not today' },
      { authorization: `Bearer ${manager.token}` },
    );
    assert.equal(no.status, 200, JSON.stringify(no.body));
    const afterReject = await waitForRunEnd(stack, rejected.body.runId, 60_000);
    assert.equal(afterReject.status, 'failed');
    assert.equal(afterReject.pipeline.jobs[0].message, 'rejected by release-manager');
    assert.equal(afterReject.pipeline.jobs[0].steps[0].status, 'pending', 'a rejected deploy runs no step');

    const ignored = await stack.request('POST', '/v1/pipelines/runs', { ...body });
    await waitForApproval(ignored.body.runId);
    const timedOut = await waitForRunEnd(stack, ignored.body.runId, 60_000);
    assert.equal(timedOut.status, 'failed');
    assert.equal(timedOut.pipeline.jobs[0].approval.state, 'timed-out');
    assert.equal(timedOut.pipeline.jobs[0].message, 'no approval within 3s');
  },
);

test('a branch whose name holds $& names its concurrency group literally', { timeout: 120_000 }, async () => {
  const { run, lockIds } = await dollarBranchScenario(stack);
  assert.equal(run.status, 'completed', JSON.stringify(run.pipeline ?? run.failure));
  assert.equal(run.pipeline.trigger.branch, DOLLAR_BRANCH);
  // A plain String.replace would have read "$&" as the matched template and "$1" as a missing group.
  assert.deepEqual(lockIds, [concurrencyLockId(stack.prefix, `dollar-${DOLLAR_BRANCH}`)]);
});
