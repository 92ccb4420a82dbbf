/**
 * Pipeline artifacts in an S3 bucket end to end: workers started with CAPSTAN_ARTIFACT_STORE=s3 upload
 * in a job on class a and download in a job on class b, through the real AWS SDK against a real
 * S3-compatible server (versitygw, which checks every request's signature); an artifact over the limit
 * fails its step naming it, its size and the variable.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3Server, type S3Server } from './helpers/s3-server';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';
import { gitIn } from './helpers/git';

const BUCKET = 'pipeline-artifacts';
let s3: S3Server;
let stack: TestStack;
let repo: string;
let sha: string;

function git(...args: string[]): string {
  return gitIn(repo, ...args);
}

before(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
  stack = await startTestStack({
    workerEnv: {
      CAPSTAN_ARTIFACT_STORE: 's3',
      CAPSTAN_ARTIFACT_S3_BUCKET: BUCKET,
      CAPSTAN_ARTIFACT_S3_ENDPOINT: s3.endpoint,
      CAPSTAN_ARTIFACT_S3_PREFIX: 'capstan',
      CAPSTAN_MAX_ARTIFACT_BYTES: '65536',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
  });
  repo = mkdtempSync(join(tmpdir(), 'capstan-artifact-repo-'));
  git('init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(join(repo, 'app.txt'), 'hello from the build job\n');
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: artifacts
on: { manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - checkout: true
      - run: mkdir -p dist && cp app.txt dist/ && echo "$CAPSTAN_SHA" > dist/VERSION
      - upload-artifact: { name: app, path: dist }
  verify:
    runs-on: b
    needs: [build]
    steps:
      - download-artifact: { name: app, path: got }
      - run: test "$(cat got/dist/VERSION)" = "$CAPSTAN_SHA" && cat got/dist/app.txt
`,
  );
  writeFileSync(
    join(repo, '.capstan', 'too-big.yaml'),
    `name: too-big
on: { manual: true }
jobs:
  huge:
    runs-on: a
    steps:
      - run: head -c 200000 /dev/urandom > blob.bin
      - upload-artifact: { name: blob, path: blob.bin }
`,
  );
  git('add', '-A');
  git('commit', '-q', '-m', 'fixture');
  sha = git('rev-parse', 'HEAD');
});

after(async () => {
  await stack?.stop();
  await s3?.close();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

async function runPipeline(pipelinePath: string): Promise<any> {
  const started = await stack.request('POST', '/v1/pipelines/runs', {
    repository: 'acme/artifacts',
    cloneUrl: repo,
    sha,
    branch: 'main',
    pipelinePath,
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForRunEnd(stack, started.body.runId, 120_000);
}

test(
  'an artifact uploaded by a job on class a is downloaded by a job on class b through the S3 bucket',
  { timeout: 180_000 },
  async () => {
    const run = await runPipeline('.capstan/pipeline.yaml');
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    const [build, verify] = run.pipeline.jobs;
    assert.match(build.worker, /\/a\/\d+$/);
    assert.match(verify.worker, /\/b\/\d+$/);
    const key = `capstan/${run.runId.replace(/[^A-Za-z0-9._-]/g, '_')}/build/app.tar`;
    assert.deepEqual(await s3.keys(BUCKET), [key]);
    // The server checks signatures: the same object read with a wrong secret is refused.
    const stranger = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    await assert.rejects(stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })), /signature/i);
    stranger.destroy();
    const log = await (
      await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(run.runId)}/jobs/verify/steps/1/log`, {
        headers: { authorization: `Bearer ${stack.adminToken}` },
      })
    ).text();
    assert.match(log, /hello from the build job/);
  },
);

test(
  'an artifact over CAPSTAN_MAX_ARTIFACT_BYTES fails its step, naming the artifact, its size and the variable',
  { timeout: 120_000 },
  async () => {
    const before = await s3.keys(BUCKET);
    const run = await runPipeline('.capstan/too-big.yaml');
    assert.equal(run.status, 'failed');
    const step = run.pipeline.jobs[0].steps[1];
    assert.equal(step.status, 'failed');
    assert.match(
      step.message,
      /upload-artifact "blob": \d{6} bytes, over the 65536-byte limit \(CAPSTAN_MAX_ARTIFACT_BYTES\)/,
    );
    assert.deepEqual(await s3.keys(BUCKET), before, 'nothing stored');
  },
);
