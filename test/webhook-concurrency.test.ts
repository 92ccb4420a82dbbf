/**
 * Cancel-in-progress through webhooks on a real stack: two signed pushes to one branch of a fixture
 * repository whose pipeline has a concurrency group with `cancelInProgress`. The first run's slow step
 * is killed and the run ends cancelled, saying why; the second run builds the second commit to the end.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gitIn } from './helpers/git';
import { assertProcessGone } from './helpers/processes';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';
import { waitFor, waitForFile } from './helpers/wait';

const SECRET = 'concurrency-secret-0123456789';
let stack: TestStack;
let repo: string;
/** Where steps leave marks: the pid of their sleep, and proof that a later step ran. */
let marks: string;
/** A local stand-in for GitHub's status API, recording what Capstan reports on each commit. */
let forge: Server;
let forgeUrl: string;
const statuses: Array<{ path: string; state: string; description: string; context: string }> = [];

before(async () => {
  forge = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on('end', () => {
      const body = JSON.parse(text) as { state: string; description: string; context: string };
      statuses.push({
        path: `${req.method} ${req.url}`,
        state: body.state,
        description: body.description,
        context: body.context,
      });
      res.writeHead(201, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => forge.listen(0, '127.0.0.1', r));
  forgeUrl = `http://127.0.0.1:${(forge.address() as AddressInfo).port}`;
  stack = await startTestStack({ startWorkersFor: ['a'] });
  repo = mkdtempSync(join(tmpdir(), 'capstan-concurrency-repo-'));
  marks = mkdtempSync(join(tmpdir(), 'capstan-concurrency-marks-'));
  gitIn(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  // The sleep's length comes from the checked-out commit, so only the first push is slow. Like a build
  // that tidies up when stopped, the step outlives a SIGTERM by two seconds. Its shell's pid is written
  // down so the test, and a later run's step, can see whether it is still alive (a zombie counts as
  // dead: a container's PID 1 may never reap it).
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: ci
on: { push: { branches: [main] } }
concurrency: { group: 'ci-\${{ branch }}', cancelInProgress: true }
env: { MARKS: ${marks} }
jobs:
  build:
    runs-on: a
    steps:
      - checkout: true
      - name: slow
        run: |
          for f in "$MARKS"/*.pid; do
            [ -f "$f" ] || continue
            state=$(cut -d' ' -f3 "/proc/$(cat "$f")/stat" 2>/dev/null || true)
            if [ -n "$state" ] && [ "$state" != Z ]; then echo "$f" >> "$MARKS/overlap"; fi
          done
          trap 'echo "stopping: tidying up"; sleep 2; exit 143' TERM
          echo $$ > "$MARKS/$CAPSTAN_SHA.pid"
          echo "sleeping $(cat SLEEP)s on $CAPSTAN_SHA"
          sleep "$(cat SLEEP)" &
          wait $!
      - name: after
        run: touch "$MARKS/$CAPSTAN_SHA.after"
`,
  );
  const created = await stack.request('POST', '/v1/repositories', {
    name: 'acme/api',
    provider: 'github',
    cloneUrl: repo,
    webhookSecret: SECRET,
    statusApiUrl: forgeUrl,
    statusToken: 'ghp_status',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});

after(async () => {
  await stack?.stop();
  await new Promise((r) => forge?.close(r));
  for (const dir of [repo, marks]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Commits a SLEEP file of `seconds`; returns the commit's SHA. */
function commit(seconds: number): string {
  writeFileSync(join(repo, 'SLEEP'), `${seconds}\n`);
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', `sleep ${seconds}`);
  return gitIn(repo, 'rev-parse', 'HEAD');
}

/** Delivers a signed GitHub push of `sha` to main, as GitHub would after a `git push`. */
function push(sha: string, before: string, delivery: string) {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    before,
    after: sha,
    repository: { full_name: 'acme/api' },
    sender: { login: 'alice' },
  });
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return stack.request('POST', '/v1/webhooks/github', body, {
    authorization: '',
    'X-GitHub-Event': 'push',
    'X-GitHub-Delivery': delivery,
    'X-Hub-Signature-256': signature,
  });
}

const getRun = async (runId: string) => (await stack.request('GET', `/v1/runs/${encodeURIComponent(runId)}`)).body;

const stepLog = async (runId: string, step: number) =>
  (
    await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(runId)}/jobs/build/steps/${step}/log`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    })
  ).text();

test(
  'two pushes to main with cancel-in-progress: the first run is cancelled (its step killed), the second completes',
  { timeout: 120_000 },
  async () => {
    const first = commit(30);
    const started1 = await push(first, '0'.repeat(40), 'push-1');
    assert.equal(started1.status, 202, JSON.stringify(started1.body));
    assert.deepEqual([started1.body.started, started1.body.created, started1.body.sha], [true, true, first]);
    const run1: string = started1.body.runId;

    // The second push arrives while the first run's slow step is running.
    await waitForFile(join(marks, `${first}.pid`), "the first run's slow step");
    const stepPid = Number(readFileSync(join(marks, `${first}.pid`), 'utf8'));
    const running = await getRun(run1);
    assert.equal(running.status, 'running');
    assert.deepEqual(
      running.pipeline.jobs[0].steps.map((s: any) => s.status),
      ['succeeded', 'running', 'pending'],
    );

    const second = commit(0);
    const started2 = await push(second, first, 'push-2');
    assert.equal(started2.status, 202, JSON.stringify(started2.body));
    assert.deepEqual([started2.body.started, started2.body.created, started2.body.sha], [true, true, second]);
    const run2: string = started2.body.runId;
    assert.notEqual(run2, run1);

    const [one, two] = await Promise.all([
      waitForRunEnd(stack, encodeURIComponent(run1), 60_000),
      waitForRunEnd(stack, encodeURIComponent(run2), 60_000),
    ]);
    // The first run: cancelled, its slow step's process group killed, its last step never run.
    assert.equal(one.status, 'cancelled', JSON.stringify(one.pipeline ?? one.failure));
    assert.equal(one.pipeline.status, 'cancelled');
    assert.equal(one.pipeline.trigger.sha, first);
    assert.equal(
      one.pipeline.message,
      `cancelled by run ${run2}, which took concurrency group "ci-main" (cancel-in-progress)`,
    );
    const job1 = one.pipeline.jobs[0];
    assert.equal(job1.status, 'cancelled');
    assert.deepEqual(
      job1.steps.map((s: any) => [s.name, s.status]),
      [
        ['checkout', 'succeeded'],
        ['slow', 'cancelled'],
        ['after', 'pending'],
      ],
    );
    assert.equal(job1.message, one.pipeline.message, 'the job says why it was cancelled');
    assert.equal(job1.steps[1].message, 'cancelled');
    assert.ok(job1.steps[1].finishedAt, 'the cancelled step has an end');
    assert.ok(job1.finishedAt, 'the cancelled job has an end');
    assert.equal(one.failure.message, 'Workflow canceled');
    await assertProcessGone(stepPid, 1000);
    const log1 = await stepLog(run1, 1);
    assert.match(log1, new RegExp(`sleeping 30s on ${first}`));
    assert.match(log1, /stopping: tidying up\n\[capstan\] step failed: step cancelled; process group killed\n$/);
    assert.ok(!existsSync(join(marks, `${first}.after`)), 'no step of the cancelled run ran after the cancelled one');

    // The second run: every step on the second commit.
    assert.equal(two.status, 'completed', JSON.stringify(two.failure ?? two.pipeline));
    assert.equal(two.pipeline.trigger.sha, second);
    assert.equal(two.pipeline.trigger.deliveryId, 'push-2');
    assert.equal(
      two.pipeline.message,
      undefined,
      'once it took the group, the run no longer says it is cancelling another',
    );
    assert.deepEqual(
      two.pipeline.jobs[0].steps.map((s: any) => s.status),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    assert.match(await stepLog(run2, 0), new RegExp(`checked out ${second}`));
    assert.ok(existsSync(join(marks, `${second}.after`)));
    // The group never ran two members at once: the second run's step found the first's step shell dead.
    assert.ok(
      !existsSync(join(marks, 'overlap')),
      `still running when the second run's step began: ${existsSync(join(marks, 'overlap')) ? readFileSync(join(marks, 'overlap'), 'utf8') : ''}`,
    );

    // Both runs leave nothing on the worker's disk, the cancelled one included.
    const leftovers = (runId: string) => readdirSync(join(stack.dataDir, 'workspaces', 'pipelines', runId));
    assert.deepEqual([leftovers(run1), leftovers(run2)], [[], []]);

    // Nothing else started, and the forge heard each commit's outcome.
    assert.equal(await stack.countRuns('pipeline'), 2);
    await waitFor(() => statuses.length >= 8, 'eight commit statuses');
    const byCommit = (sha: string, context: string) =>
      statuses
        .filter((s) => s.path === `POST /repos/acme/api/statuses/${sha}` && s.context === context)
        .map((s) => [s.state, s.description.replace(/ \(.*\)$/, '')]);
    assert.deepEqual(byCommit(first, 'capstan/ci'), [
      ['pending', 'running'],
      ['failure', 'cancelled'],
    ]);
    // The cancelled run's job is GitHub's "error": it never reached a verdict.
    assert.deepEqual(byCommit(first, 'capstan/ci/build'), [
      ['pending', 'running on a'],
      ['error', 'cancelled with the run'],
    ]);
    assert.deepEqual(byCommit(second, 'capstan/ci'), [
      ['pending', 'running'],
      ['success', 'all jobs succeeded'],
    ]);
    assert.deepEqual(byCommit(second, 'capstan/ci/build'), [
      ['pending', 'running on a'],
      ['success', 'succeeded'],
    ]);
    assert.equal(statuses.length, 8);
  },
);
