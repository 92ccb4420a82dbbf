/**
 * Conditions and job/step controls of pipelines on real workers: `if: failure()` notify jobs,
 * `if: branch == 'main'` deploys skipped with their reason, `continue-on-error` on steps and jobs,
 * a job `timeout-minutes` that kills its running step, `shell: sh` and `defaults.run`, and a
 * malformed condition refused at submit with its line and column, nothing started.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gitIn } from './helpers/git';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
let repo: string;
let scratch: string;
let sha: string;

const FLOW = `name: flow
on: { manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - run: test "$CAPSTAN_BRANCH" != broken
  deploy:
    runs-on: a
    needs: [build]
    if: branch == 'main'
    steps:
      - run: echo "deploying \${{ branch }} from \${{ event }}"
  notify:
    runs-on: a
    needs: [build, deploy]
    if: \${{ failure() }}
    steps:
      - run: echo "notifying about \${{ sha }}"
`;

const CONTROLS = `name: controls
on: { manual: true }
jobs:
  checks:
    runs-on: a
    defaults: { run: { working-directory: sub/dir, shell: sh } }
    steps:
      - id: lint
        run: echo linting; exit 3
        continue-on-error: true
      - id: where
        run: |
          echo "dir=$(pwd)" >> "$CAPSTAN_OUTPUT"
          echo "bash=\${BASH_VERSION:-none}" >> "$CAPSTAN_OUTPUT"
      - id: seen
        if: steps.lint.outcome == 'failure' && steps.lint.conclusion == 'success'
        run: echo "seen=yes" >> "$CAPSTAN_OUTPUT"
      - id: own
        working-directory: other
        shell: bash
        timeout-minutes: 1
        run: |
          echo "dir=$(pwd)" >> "$CAPSTAN_OUTPUT"
          echo "bash=\${BASH_VERSION:-none}" >> "$CAPSTAN_OUTPUT"
      - if: failure()
        run: echo "never"
  flaky:
    runs-on: a
    continue-on-error: true
    steps:
      - run: exit 1
  after:
    runs-on: a
    needs: [checks, flaky]
    steps:
      - run: echo "after"
`;

const TIMEOUT = (dir: string) => `name: timeout
on: { manual: true }
jobs:
  slow:
    runs-on: a
    timeout-minutes: 0.05
    steps:
      - name: sleeps
        run: |
          sleep 600 &
          echo $! > "${dir}/sleep.pid"
          wait $!
      - run: echo "not reached"
  later:
    runs-on: a
    needs: [slow]
    if: always() && needs.slow.result == 'failure'
    steps:
      - run: echo "after a \${{ needs.slow.result }}"
`;

const CANCEL = `name: cancel
on: { manual: true }
jobs:
  slow:
    runs-on: a
    steps:
      - run: sleep 600
  after:
    runs-on: a
    needs: [slow]
    steps:
      - run: echo after
  cleanup:
    runs-on: a
    needs: [slow]
    if: cancelled()
    steps:
      - run: echo "cleaning up after \${{ needs.slow.result }}"
  report:
    runs-on: a
    needs: [slow]
    if: always() && !cancelled()
    steps:
      - run: echo report
`;

const BAD = `name: bad
on: { manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - run: make
  deploy:
    runs-on: a
    needs: [build]
    if: branch == 'main' &&
    steps:
      - run: ./deploy
`;

before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
  repo = mkdtempSync(join(tmpdir(), 'capstan-conditions-repo-'));
  scratch = mkdtempSync(join(tmpdir(), 'capstan-conditions-'));
  gitIn(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(join(repo, '.capstan', 'flow.yaml'), FLOW);
  writeFileSync(join(repo, '.capstan', 'controls.yaml'), CONTROLS);
  writeFileSync(join(repo, '.capstan', 'timeout.yaml'), TIMEOUT(scratch));
  writeFileSync(join(repo, '.capstan', 'cancel.yaml'), CANCEL);
  writeFileSync(join(repo, '.capstan', 'bad.yaml'), BAD);
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'pipelines');
  sha = gitIn(repo, 'rev-parse', 'HEAD');
});

after(async () => {
  await stack?.stop();
  rmSync(repo, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

async function run(pipeline: string, branch: string, timeoutMs = 90_000): Promise<any> {
  const started = await stack.request('POST', '/v1/pipelines/runs', {
    repository: 'acme/web',
    cloneUrl: repo,
    sha,
    branch,
    pipelinePath: `.capstan/${pipeline}.yaml`,
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForRunEnd(stack, started.body.runId, timeoutMs);
}

const job = (finished: any, id: string): any => finished.pipeline.jobs.find((j: any) => j.id === id);

async function stepLog(runId: string, jobId: string, step: number): Promise<string> {
  const response = await fetch(
    `${stack.baseUrl}/v1/runs/${encodeURIComponent(runId)}/jobs/${jobId}/steps/${step}/log`,
    {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    },
  );
  assert.equal(response.status, 200);
  return response.text();
}

test(
  'on a feature branch the deploy is skipped with its reason, and notify (if: failure()) is skipped too',
  { timeout: 120_000 },
  async () => {
    const finished = await run('flow', 'feature/x');
    assert.equal(finished.status, 'completed', JSON.stringify(finished.pipeline ?? finished.failure));
    assert.equal(job(finished, 'build').status, 'succeeded');
    assert.equal(job(finished, 'deploy').status, 'skipped');
    assert.equal(job(finished, 'deploy').message, "if: branch == 'main' was false (branch is feature/x)");
    assert.equal(job(finished, 'notify').status, 'skipped');
    assert.equal(
      job(finished, 'notify').message,
      'if: ${{ failure() }} was false (before it: build success, deploy skipped)',
    );
  },
);

test(
  'on main the deploy runs and reads the trigger in its script; notify stays skipped',
  { timeout: 120_000 },
  async () => {
    const finished = await run('flow', 'main');
    assert.equal(finished.status, 'completed', JSON.stringify(finished.pipeline ?? finished.failure));
    assert.equal(job(finished, 'deploy').status, 'succeeded');
    assert.match(await stepLog(finished.runId, 'deploy', 0), /deploying main from manual/);
    assert.equal(job(finished, 'notify').status, 'skipped');
  },
);

test(
  'when build fails, deploy is skipped behind it and notify (if: failure()) runs',
  { timeout: 120_000 },
  async () => {
    const finished = await run('flow', 'broken');
    assert.equal(finished.status, 'failed');
    assert.equal(job(finished, 'build').status, 'failed');
    assert.equal(job(finished, 'deploy').status, 'skipped');
    assert.equal(job(finished, 'deploy').message, 'needs build, which did not succeed');
    assert.equal(job(finished, 'notify').status, 'succeeded', JSON.stringify(job(finished, 'notify')));
    assert.match(await stepLog(finished.runId, 'notify', 0), new RegExp(`notifying about ${sha}`));
    assert.match(finished.failure.message, /build/);
    assert.doesNotMatch(finished.failure.message, /notify/);
  },
);

test(
  'continue-on-error, shell: sh and defaults.run take effect; a failed job with continue-on-error does not fail the run',
  { timeout: 120_000 },
  async () => {
    const finished = await run('controls', 'main');
    assert.equal(finished.status, 'completed', JSON.stringify(finished.pipeline ?? finished.failure));
    const checks = job(finished, 'checks');
    assert.equal(checks.status, 'succeeded', JSON.stringify(checks));
    const [lint, where, seen, own, never] = checks.steps;
    assert.equal(lint.status, 'failed', 'the failure is recorded');
    assert.equal(lint.exitCode, 3);
    assert.equal(lint.continuedOnError, true);
    assert.match(where.outputs.dir, /\/sub\/dir$/, 'defaults.run.working-directory');
    assert.equal(where.outputs.bash, 'none', 'defaults.run.shell: sh runs the script without bash');
    assert.deepEqual(seen.outputs, { seen: 'yes' }, 'steps.lint.outcome is failure, its conclusion success');
    assert.match(own.outputs.dir, /\/other$/, "the step's own working-directory wins");
    assert.notEqual(own.outputs.bash, 'none', "the step's own shell wins");
    assert.equal(never.status, 'skipped');
    assert.match(never.message, /^if: failure\(\) was false/);
    const flaky = job(finished, 'flaky');
    assert.equal(flaky.status, 'failed');
    assert.equal(flaky.continuedOnError, true);
    assert.match(flaky.message, /continue-on-error/);
    assert.equal(job(finished, 'after').status, 'succeeded', 'dependents proceed as on success');
  },
);

test(
  'a job timeout kills its running sleep 600 and fails the job saying it timed out',
  { timeout: 120_000 },
  async () => {
    const startedAt = Date.now();
    const finished = await run('timeout', 'main');
    assert.ok(Date.now() - startedAt < 60_000, 'the run ended long before the sleep would');
    assert.equal(finished.status, 'failed');
    const slow = job(finished, 'slow');
    assert.equal(slow.status, 'failed');
    assert.match(slow.message, /^timed out after 0\.05 minute\(s\) \(timeout-minutes\); step "sleeps" was killed/);
    assert.equal(slow.steps[0].status, 'failed');
    assert.match(slow.steps[0].message, /timeout-minutes \(0\.05\) ran out/);
    assert.equal(slow.steps[1].status, 'skipped');
    assert.match(finished.failure.message, /slow \(timed out/);
    const pid = Number(readFileSync(join(scratch, 'sleep.pid'), 'utf8'));
    const stat = `/proc/${pid}/stat`;
    // Reaped, or a zombie waiting for a reaper: either way it no longer runs.
    assert.ok(!existsSync(stat) || / Z /.test(readFileSync(stat, 'utf8')), `sleep ${pid} still runs`);
    const later = job(finished, 'later');
    assert.equal(later.status, 'succeeded');
    assert.match(await stepLog(finished.runId, 'later', 0), /after a failure/);
  },
);

test(
  'a cancelled run still runs its if: cancelled() job once the cancelled steps are dead; the rest are cancelled or skipped',
  { timeout: 120_000 },
  async () => {
    const started = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'acme/web',
      cloneUrl: repo,
      sha,
      branch: 'main',
      pipelinePath: '.capstan/cancel.yaml',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId: string = started.body.runId;
    for (let i = 0; ; i++) {
      const live = (await stack.request('GET', `/v1/runs/${encodeURIComponent(runId)}`)).body;
      if (live.pipeline?.jobs[0].steps[0].status === 'running') break;
      assert.ok(i < 300, `slow never ran: ${JSON.stringify(live.pipeline ?? live.failure)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cancelled = await stack.request('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    const finished = await waitForRunEnd(stack, runId, 90_000);
    assert.equal(finished.status, 'cancelled', JSON.stringify(finished.pipeline));
    assert.equal(job(finished, 'slow').status, 'cancelled');
    assert.equal(job(finished, 'after').status, 'cancelled');
    assert.equal(job(finished, 'cleanup').status, 'succeeded', JSON.stringify(job(finished, 'cleanup')));
    assert.match(await stepLog(runId, 'cleanup', 0), /cleaning up after cancelled/);
    assert.equal(job(finished, 'report').status, 'skipped');
    assert.equal(job(finished, 'report').message, 'if: always() && !cancelled() was false (before it: slow cancelled)');
  },
);

test(
  'a malformed if: is refused at submit with its line and column, and nothing starts',
  { timeout: 60_000 },
  async () => {
    const before = await stack.countRuns();
    const refused = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'acme/web',
      cloneUrl: repo,
      sha,
      branch: 'main',
      pipelinePath: '.capstan/bad.yaml',
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(
      refused.body.error.message,
      '.capstan/bad.yaml:11:5: jobs.deploy.if: expected a value, found end of input (at character 20 of the value)',
    );
    assert.equal(await stack.countRuns(), before, 'nothing started');
  },
);
