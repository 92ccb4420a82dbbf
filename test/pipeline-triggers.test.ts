/**
 * Pipeline triggers end to end on a real stack with a real git repository and signed GitHub
 * deliveries: the Temporal Schedule of `on.schedule` (created at registration, updated and deleted by
 * pushes to the default branch, started now through the client), path filters read from git diffs,
 * a tag push, and typed manual inputs.
 */
import assert from 'node:assert/strict';
import { ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gitIn } from './helpers/git';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const SECRET = 'triggers-secret-0123456789';
const ZERO = '0'.repeat(40);
let stack: TestStack;
let repo: string;
let scheduleId: string;
/** The commit the forge last saw on main, the `before` of the next push. */
let mainTip: string;
let delivery = 0;

const pipeline = (cron: string) => `name: nightly
on:
  schedule:
    - cron: '${cron}'
  push:
    branches: [main]
    tags: ['v*']
    paths: ['src/**', '!src/**/*.md']
  pull_request:
    paths: ['src/**']
  manual:
    inputs:
      version: { type: string, required: true }
      replicas: { type: number, default: 2 }
      target: { type: choice, options: [staging, production], default: staging }
jobs:
  build:
    runs-on: a
    steps:
      - run: echo "event=$CAPSTAN_EVENT branch=$CAPSTAN_BRANCH tag=\${CAPSTAN_TAG:-none}"
`;

const git = (...args: string[]) => gitIn(repo, ...args);

function commit(files: Record<string, string | null>, message: string): string {
  for (const [path, text] of Object.entries(files)) {
    if (text === null) {
      rmSync(join(repo, path), { force: true });
    } else {
      mkdirSync(join(repo, path, '..'), { recursive: true });
      writeFileSync(join(repo, path), text);
    }
  }
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
}

/** Sends a signed GitHub delivery of `event` and returns its answer. */
function signed(event: string, body: string) {
  return stack.request('POST', '/v1/webhooks/github', body, {
    authorization: '',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': `triggers-${++delivery}`,
    'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
  });
}

/** A delivery the forge accepted (202): its answer's body. */
async function deliver(event: string, body: string) {
  const answer = await signed(event, body);
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return answer.body;
}

/** The payload of a push of `after` to `ref`, as GitHub sends it after `git push`. */
const pushBody = (after: string, ref: string, before: string) =>
  JSON.stringify({
    ref,
    before,
    after,
    repository: { full_name: 'acme/sched', default_branch: 'main' },
    sender: { login: 'alice' },
  });

/** Sends a signed push of `after` to `ref`. */
async function push(after: string, ref = 'refs/heads/main', before = mainTip) {
  const answer = await deliver('push', pushBody(after, ref, before));
  if (ref === 'refs/heads/main') mainTip = after;
  return answer;
}

const describeSchedule = (id = scheduleId): Promise<ScheduleDescription> =>
  stack.client.schedule.getHandle(id).describe();

/** The text of the run's one step log. */
async function logOf(runId: string): Promise<string> {
  const response = await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(runId)}/jobs/build/steps/0/log`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  return response.text();
}

async function assertNoSchedule(id: string): Promise<void> {
  await assert.rejects(describeSchedule(id), (err) => err instanceof ScheduleNotFoundError);
}

before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
  scheduleId = `${stack.prefix}-pipeline-acme/sched`;
  repo = mkdtempSync(join(tmpdir(), 'capstan-triggers-repo-'));
  git('init', '-q', '-b', 'main');
  mainTip = commit({ '.capstan/pipeline.yaml': pipeline('30 5 * * 1-5'), 'src/app.ts': 'one\n' }, 'pipeline');
});

after(async () => {
  for (const id of [scheduleId, `${stack?.prefix}-pipeline-acme/other`])
    await stack?.client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  await stack?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

test('registration creates the Temporal Schedule from the default branch; deleting the repository deletes it', async () => {
  const created = await stack.request('POST', '/v1/repositories', {
    name: 'acme/sched',
    provider: 'github',
    cloneUrl: repo,
    webhookSecret: SECRET,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.schedule, { id: scheduleId, outcome: 'created', crons: ['30 5 * * 1-5'] });
  const schedule = await describeSchedule();
  assert.deepEqual(schedule.memo, { repository: 'acme/sched', pipelinePath: '.capstan/pipeline.yaml' });
  assert.equal(schedule.action.type, 'startWorkflow');
  assert.equal(schedule.action.workflowType, 'scheduledPipelineWorkflow');
  assert.match(
    schedule.state.note ?? '',
    new RegExp(`^cron: 30 5 \\* \\* 1-5 \\(from .capstan/pipeline.yaml at main ${mainTip.slice(0, 12)}\\)$`),
  );
  // Weekdays at 05:30 UTC, as GitHub reads the cron.
  assert.ok(schedule.info.nextActionTimes.length > 0);
  for (const at of schedule.info.nextActionTimes) {
    assert.deepEqual([at.getUTCHours(), at.getUTCMinutes()], [5, 30]);
    assert.ok(at.getUTCDay() >= 1 && at.getUTCDay() <= 5, at.toISOString());
  }

  // Another registration of the same repository gets its own schedule, and loses it with the repository.
  const other = await stack.request('POST', '/v1/repositories', {
    name: 'acme/other',
    provider: 'github',
    cloneUrl: repo,
    webhookSecret: SECRET,
  });
  assert.equal(other.body.schedule.outcome, 'created', JSON.stringify(other.body));
  await describeSchedule(`${stack.prefix}-pipeline-acme/other`);
  assert.equal((await stack.request('DELETE', '/v1/repositories/acme/other')).status, 200);
  await assertNoSchedule(`${stack.prefix}-pipeline-acme/other`);
});

test('a push to main changing the cron updates the schedule; touching no src/ file it starts nothing, and says why', async () => {
  const runsBefore = await stack.countRuns('pipeline');
  const sha = commit({ '.capstan/pipeline.yaml': pipeline('0 6 * * *') }, 'daily at six');
  const answer = await push(sha);
  assert.equal(answer.started, false);
  assert.equal(answer.reason, 'no changed file matches paths src/**, !src/**/*.md (1 changed: .capstan/pipeline.yaml)');
  assert.deepEqual(answer.schedule, { id: scheduleId, outcome: 'updated', crons: ['0 6 * * *'] });
  const schedule = await describeSchedule();
  assert.match(schedule.state.note ?? '', /^cron: 0 6 \* \* \* /);
  for (const at of schedule.info.nextActionTimes) assert.deepEqual([at.getUTCHours(), at.getUTCMinutes()], [6, 0]);
  // A push to another branch leaves the schedule alone.
  const elsewhere = await push(sha, 'refs/heads/feature', ZERO);
  assert.equal(elsewhere.schedule, undefined);
  assert.equal(await stack.countRuns('pipeline'), runsBefore);
});

test(
  'triggering the schedule now starts the pipeline on the head of main, as a schedule event',
  { timeout: 180_000 },
  async () => {
    await stack.client.schedule.getHandle(scheduleId).trigger();
    let starter: string | undefined;
    for (const deadline = Date.now() + 30_000; starter === undefined && Date.now() < deadline;) {
      starter = (await describeSchedule()).info.recentActions[0]?.action.workflow.workflowId;
      if (starter === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(starter, 'the schedule started nothing');
    const result = await stack.client.workflow.getHandle(starter).result();
    assert.deepEqual([result.branch, result.sha], ['main', mainTip]);
    const run = await waitForRunEnd(stack, encodeURIComponent(result.runId), 120_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    assert.equal(run.startedBy, 'schedule:acme/sched');
    assert.deepEqual(run.pipeline.trigger, {
      event: 'schedule',
      repository: 'acme/sched',
      cloneUrl: repo,
      sha: mainTip,
      branch: 'main',
      triggeredBy: 'schedule:acme/sched',
    });
    assert.match(await logOf(result.runId), /event=schedule branch=main tag=none/);
  },
);

test('a scheduled start whose pipeline file changed without a delivery fails, saying why, and starts no run', async () => {
  const runsBefore = await stack.countRuns('pipeline');
  // Committed to main, but the forge's delivery never arrives: the schedule still holds the older file.
  const unseen = commit({ '.capstan/pipeline.yaml': pipeline('0 7 * * *') }, 'seven, unseen');
  const previous = new Set((await describeSchedule()).info.recentActions.map((a) => a.action.workflow.workflowId));
  await stack.client.schedule.getHandle(scheduleId).trigger();
  let starter: string | undefined;
  for (const deadline = Date.now() + 30_000; starter === undefined && Date.now() < deadline;) {
    const ids = (await describeSchedule()).info.recentActions.map((a) => a.action.workflow.workflowId);
    starter = ids.find((id) => !previous.has(id));
    if (starter === undefined) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(starter, 'the schedule started nothing');
  await assert.rejects(stack.client.workflow.getHandle(starter).result(), (err: any) => {
    assert.match(
      err.cause?.cause?.message ?? '',
      new RegExp(
        `^\\.capstan/pipeline\\.yaml at main ${unseen.slice(0, 12)} is not the file the schedule was set from`,
      ),
    );
    return true;
  });
  assert.equal(await stack.countRuns('pipeline'), runsBefore);
  // The delivery arrives at last, and the schedule follows the file again.
  assert.equal((await push(unseen)).schedule.outcome, 'updated');
});

test(
  'path filters: a push touching only docs/ starts nothing; one touching src/ starts the pipeline',
  { timeout: 180_000 },
  async () => {
    const runsBefore = await stack.countRuns('pipeline');
    const docs = await push(commit({ 'docs/guide.md': 'read me\n', 'src/notes.md': 'notes\n' }, 'docs only'));
    assert.equal(docs.started, false);
    assert.equal(
      docs.reason,
      'no changed file matches paths src/**, !src/**/*.md (2 changed: docs/guide.md, src/notes.md)',
    );
    assert.equal(docs.schedule.outcome, 'unchanged');
    assert.equal(await stack.countRuns('pipeline'), runsBefore);

    const code = await push(commit({ 'src/app.ts': 'two\n', 'docs/guide.md': 'read me again\n' }, 'code'));
    assert.equal(code.started, true, JSON.stringify(code));
    const run = await waitForRunEnd(stack, encodeURIComponent(code.runId), 120_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    assert.equal(run.pipeline.trigger.event, 'push');

    // A pull request's files are those changed since its branch left the base branch (main moved on since).
    git('checkout', '-q', '-b', 'topic', 'HEAD~1');
    const topic = commit({ 'docs/topic.md': 'topic\n' }, 'topic docs');
    git('checkout', '-q', 'main');
    const pr = (sha: string, n: number) =>
      JSON.stringify({
        action: n === 1 ? 'opened' : 'synchronize',
        pull_request: { head: { sha, ref: 'topic' }, base: { ref: 'main' } },
        repository: { full_name: 'acme/sched' },
        sender: { login: 'bob' },
      });
    const docsPr = await deliver('pull_request', pr(topic, 1));
    assert.deepEqual(
      [docsPr.started, docsPr.reason],
      [false, 'no changed file matches paths src/** (1 changed: docs/topic.md)'],
    );
    git('checkout', '-q', 'topic');
    const topicCode = commit({ 'src/topic.ts': 'topic\n' }, 'topic code');
    git('checkout', '-q', 'main');
    const codePr = await deliver('pull_request', pr(topicCode, 2));
    assert.equal(codePr.started, true, JSON.stringify(codePr));
    const prRun = await waitForRunEnd(stack, encodeURIComponent(codePr.runId), 120_000);
    assert.equal(prRun.status, 'completed', JSON.stringify(prRun.failure ?? prRun.pipeline));
  },
);

test(
  'a tag push starts the tag-filtered pipeline with the tag and no branch; another tag does not',
  { timeout: 180_000 },
  async () => {
    git('tag', 'v1.2.3', mainTip);
    const tagged = await push(mainTip, 'refs/tags/v1.2.3', ZERO);
    assert.equal(tagged.started, true, JSON.stringify(tagged));
    assert.deepEqual([tagged.event, tagged.branch, tagged.tag], ['push', '', 'v1.2.3']);
    assert.equal(tagged.schedule, undefined);
    const run = await waitForRunEnd(stack, encodeURIComponent(tagged.runId), 120_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    assert.deepEqual([run.pipeline.trigger.branch, run.pipeline.trigger.tag], ['', 'v1.2.3']);
    assert.equal(run.labels.tag, 'v1.2.3');
    assert.match(await logOf(tagged.runId), /event=push branch= tag=v1\.2\.3/);

    const other = await push(mainTip, 'refs/tags/release-7', ZERO);
    assert.deepEqual([other.started, other.reason], [false, 'tag "release-7" matches none of tags v*']);
  },
);

test(
  'manual inputs: bad ones are a 422 naming inputs.<name> and start nothing; good ones reach the run',
  { timeout: 180_000 },
  async () => {
    const runsBefore = await stack.countRuns('pipeline');
    const body = (inputs?: Record<string, unknown>) => ({
      repository: 'acme/sched',
      cloneUrl: repo,
      sha: mainTip,
      branch: 'main',
      ...(inputs ? { inputs } : {}),
    });
    const missing = await stack.request('POST', '/v1/pipelines/runs', body());
    assert.equal(missing.status, 422, JSON.stringify(missing.body));
    assert.equal(missing.body.error.code, 'invalid_inputs');
    assert.deepEqual(missing.body.error.details, [{ field: 'inputs.version', message: 'is required (a string)' }]);
    const bad = await stack.request(
      'POST',
      '/v1/pipelines/runs',
      body({ version: '1.0', replicas: 'many', target: 'prod', colour: 'red' }),
    );
    assert.equal(bad.status, 422);
    assert.deepEqual(
      bad.body.error.details.map((d: any) => d.field),
      ['inputs.colour', 'inputs.replicas', 'inputs.target'],
    );
    assert.match(bad.body.error.message, /inputs.target "prod" is not among the options staging, production/);
    const wrongType = await stack.request('POST', '/v1/pipelines/runs', body({ version: 1 }));
    assert.deepEqual(wrongType.body.error.details, [{ field: 'inputs.version', message: 'must be a string, not 1' }]);
    assert.equal(await stack.countRuns('pipeline'), runsBefore, 'a refused request starts nothing');

    const started = await stack.request('POST', '/v1/pipelines/runs', body({ version: '1.2.3', replicas: '3' }));
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRunEnd(stack, encodeURIComponent(started.body.runId), 120_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    assert.deepEqual(run.pipeline.trigger.inputs, { version: '1.2.3', replicas: 3, target: 'staging' });
  },
);

test('an invalid cron pushed to main is refused at its line and column; deleting the file deletes the schedule', async () => {
  const bad = commit({ '.capstan/pipeline.yaml': pipeline('0 25 * * *') }, 'hour 25');
  const answer = await signed('push', pushBody(bad, 'refs/heads/main', mainTip));
  mainTip = bad;
  assert.equal(answer.status, 422, JSON.stringify(answer.body));
  assert.match(
    answer.body.error.message,
    /\.capstan\/pipeline\.yaml:4:7: on\.schedule\[0\]\.cron: "0 25 \* \* \*": hour 25 is out of range 0-23/,
  );
  // Nothing valid to schedule at the head of main.
  await assertNoSchedule(scheduleId);

  const fixed = await push(commit({ '.capstan/pipeline.yaml': pipeline('15 4 * * 0') }, 'sundays'));
  assert.equal(fixed.schedule.outcome, 'created');
  const removed = await push(commit({ '.capstan/pipeline.yaml': null }, 'no more pipeline'));
  assert.equal(removed.started, false);
  assert.equal(removed.schedule.outcome, 'deleted');
  await assertNoSchedule(scheduleId);
});
