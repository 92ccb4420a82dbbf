/**
 * The Temporal Web UI reads well: each activity a DAG or pipeline run schedules carries a summary
 * naming the task (`test[2] on a`) or step (`build / step 2: compile on a`), read back from the
 * real server's history, through the client and through the `temporal` CLI; and the pipeline's
 * current details say how its jobs ended.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { gitIn } from './helpers/git';
import { historySummaries, type SummarisedEvent } from './helpers/history-summaries';
import { startTestStack, testTemporalAddress, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
let repo: string | undefined;

before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

/** The activity type and summary of every ActivityTaskScheduled event of a run, in history order. */
async function scheduledActivities(runId: string): Promise<SummarisedEvent[]> {
  return (await historySummaries(stack.client, runId)).filter((e) => e.type !== 'timer');
}

/** The pipeline's or task's current details, as the Web UI reads them (the SDK's built-in metadata query). */
async function currentDetails(runId: string): Promise<string> {
  const metadata = await stack.client.workflow
    .getHandle(runId)
    .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

test('every activity of a DAG run is summarised with its task key and node class', { timeout: 120_000 }, async () => {
  const marker = join(mkdtempSync(join(tmpdir(), 'capstan-summaries-')), 'tried');
  const started = await stack.request('POST', '/v1/dags', {
    name: 'summaries',
    tasks: [
      { id: 'build', nodeClass: 'a', command: 'true' },
      { id: 'test', nodeClass: 'b', dependsOn: ['build'], matrix: { n: [1, 2, 3] }, command: 'true' },
      {
        id: 'flaky',
        nodeClass: 'a',
        dependsOn: ['build'],
        // Fails its first attempt only, so the history holds two attempts of one task.
        command: `test -e ${marker} || { touch ${marker}; exit 1; }`,
        retry: { maxAttempts: 2, initialIntervalSeconds: 0.1 },
      },
    ],
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = await waitForRunEnd(stack, started.body.runId, 90_000);
  assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.dag));

  const activities = await scheduledActivities(started.body.runId);
  assert.ok(
    activities.every((a) => a.type === 'runShellCommand'),
    'every node ran as runShellCommand, the name the summaries replace',
  );
  assert.deepEqual(activities.map((a) => a.summary).sort(), [
    'build on a',
    'flaky on a, attempt 1 of 2',
    'flaky on a, attempt 2 of 2',
    'test[0] on b',
    'test[1] on b',
    'test[2] on b',
  ]);

  // The CLI that ships with the dev server (and the Web UI, which reads the same history) shows them too.
  const shown = execFileSync(
    process.env.CAPSTAN_TEST_TEMPORAL_BIN ?? 'temporal',
    ['workflow', 'show', '--workflow-id', started.body.runId, '--address', testTemporalAddress(), '--output', 'json'],
    { encoding: 'utf8' },
  );
  const summaries = (JSON.parse(shown) as { events: Array<Record<string, any>> }).events
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => Buffer.from(e.userMetadata.summary.data, 'base64').toString('utf8'));
  assert.ok(summaries.includes('"test[2] on b"'), summaries.join(', '));
  rmSync(dirname(marker), { recursive: true, force: true });
  // The details name the running nodes while any run; at the end only the counts are left.
  assert.equal(await currentDetails(started.body.runId), '**summaries**: succeeded 5');
});

test(
  'every step of a pipeline run is summarised with its job, number, name and node class',
  {
    timeout: 150_000,
  },
  async () => {
    repo = mkdtempSync(join(tmpdir(), 'capstan-summaries-repo-'));
    const git = (...args: string[]) => gitIn(repo!, ...args);
    git('init', '-q', '-b', 'main');
    mkdirSync(join(repo, '.capstan'));
    writeFileSync(
      join(repo, '.capstan', 'pipeline.yaml'),
      `name: summaries
on: { manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - checkout: true
      - name: compile
        run: echo compiled
      - id: package
        run: echo packaged
`,
    );
    git('add', '-A');
    git('commit', '-q', '-m', 'pipeline');
    const started = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'acme/summaries',
      cloneUrl: repo,
      sha: git('rev-parse', 'HEAD'),
      branch: 'main',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRunEnd(stack, started.body.runId, 120_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));

    const activities = await scheduledActivities(started.body.runId);
    const steps = activities.filter((a) => a.type === 'runJobStep').map((a) => a.summary);
    assert.deepEqual(steps, [
      'build / step 1: checkout on a',
      'build / step 2: compile on a',
      'build / step 3: package on a',
    ]);
    const summaryOf = (type: string) => activities.find((a) => a.type === type)?.summary ?? '';
    assert.equal(summaryOf('claimJobWorkspace'), 'build: claim a workspace on a');
    assert.match(summaryOf('releaseJobWorkspace'), /^build: release its workspace on .+\/a\/\d+$/);
    assert.match(summaryOf('reportCommitStatus'), /^commit status: /);
    assert.ok(
      activities.every((a) => a.summary),
      `every activity has a summary: ${JSON.stringify(activities)}`,
    );

    const details = await currentDetails(started.body.runId);
    assert.match(details, /^\*\*summaries\*\* on main @ [0-9a-f]{12}: succeeded/);
    assert.match(details, /^- build: succeeded$/m);
  },
);
