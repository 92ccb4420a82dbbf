/**
 * Pipeline artifacts through the API: `GET /v1/runs/:id/artifacts` lists what a run's jobs uploaded and
 * `GET /v1/runs/:id/artifacts/:job/:name` streams one tar as an attachment, byte for byte what the store
 * holds; a viewer may read both; unknown runs and artifacts are 404, bad names and non-pipeline runs 400.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { artifactKey } from '../config/artifacts/artifact-store';
import { gitIn } from './helpers/git';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
let repo: string;
let runId: string;
let viewer: string;

before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
  viewer = (await stack.mintToken('viewer', { principal: 'artifact-viewer' })).token;
  repo = mkdtempSync(join(tmpdir(), 'capstan-artifact-repo-'));
  gitIn(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: packer
on: { manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - run: mkdir -p out && echo "release-bytes-$CAPSTAN_SHA" > out/release.txt
      - upload-artifact: { name: bundle, path: out }
`,
  );
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'pipeline');
  const sha = gitIn(repo, 'rev-parse', 'HEAD');
  const started = await stack.request('POST', '/v1/pipelines/runs', {
    repository: 'acme/packer',
    cloneUrl: repo,
    sha,
    branch: 'main',
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  runId = started.body.runId;
  const run = await waitForRunEnd(stack, encodeURIComponent(runId), 120_000);
  assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
});

after(async () => {
  await stack?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

const path = (...parts: string[]) => `/v1/runs/${[runId, ...parts].map(encodeURIComponent).join('/')}`;

test('the list names each artifact with its job, size and download link; a viewer may read it', async () => {
  const listed = await stack.request('GET', path('artifacts'), undefined, { authorization: `Bearer ${viewer}` });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  assert.equal(listed.body.runId, runId);
  assert.equal(listed.body.artifacts.length, 1);
  const [artifact] = listed.body.artifacts;
  assert.equal(artifact.job, 'build');
  assert.equal(artifact.name, 'bundle');
  assert.equal(artifact.href, path('artifacts', 'build', 'bundle'));
  assert.ok(artifact.bytes > 0);
  assert.ok(!Number.isNaN(Date.parse(artifact.modifiedAt)));
});

test('the download streams the tar as an attachment, byte for byte what the store holds', async () => {
  const response = await fetch(`${stack.baseUrl}${path('artifacts', 'build', 'bundle')}`, {
    headers: { authorization: `Bearer ${viewer}` },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/x-tar');
  assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="?bundle\.tar"?$/);
  const bytes = Buffer.from(await response.arrayBuffer());
  const stored = readFileSync(join(stack.deps.artifacts.artifactDir, artifactKey(runId, 'build', 'bundle')));
  assert.ok(bytes.equals(stored), 'the same bytes as the stored tar');
  assert.equal(Number(response.headers.get('content-length')), stored.length);
  assert.ok(bytes.includes(Buffer.from('release-bytes-')), 'the tar holds the file the step wrote');
});

test('unknown runs and artifacts are 404; a bad job or name is a 400 naming it; a task run has no artifacts', async () => {
  const unknownRun = await stack.request('GET', '/v1/runs/no-such-run/artifacts');
  assert.equal(unknownRun.status, 404);
  assert.equal(unknownRun.body.error.code, 'run_not_found');
  const unknownRunDownload = await stack.request('GET', '/v1/runs/no-such-run/artifacts/build/bundle');
  assert.equal(unknownRunDownload.status, 404);

  const missing = await stack.request('GET', path('artifacts', 'build', 'nothing'));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'artifact_not_found');
  assert.match(missing.body.error.message, /no artifact "nothing" of job "build"/);
  const otherJob = await stack.request('GET', path('artifacts', 'deploy', 'bundle'));
  assert.equal(otherJob.status, 404);

  const badName = await stack.request('GET', path('artifacts', 'build', '..hidden'));
  assert.equal(badName.status, 400);
  assert.equal(badName.body.error.details[0].field, 'name');
  const badJob = await stack.request('GET', path('artifacts', '-job', 'bundle'));
  assert.equal(badJob.status, 400);
  assert.equal(badJob.body.error.details[0].field, 'job');

  const task = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', command: 'true' });
  assert.equal(task.status, 202, JSON.stringify(task.body));
  const notPipeline = await stack.request('GET', `/v1/runs/${encodeURIComponent(task.body.runId)}/artifacts`);
  assert.equal(notPipeline.status, 400);
  assert.equal(notPipeline.body.error.code, 'not_a_pipeline_run');
  assert.equal(notPipeline.body.error.details[0].field, 'id');
});

test('a token is needed: no bearer and no session is 401', async () => {
  const refused = await stack.request('GET', path('artifacts'), undefined, { authorization: '' });
  assert.equal(refused.status, 401);
});
