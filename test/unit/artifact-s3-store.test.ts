/**
 * The S3 artifact store through the real AWS SDK v3 client against a local S3-compatible stand-in
 * (no cloud is reachable here): streamed, signed round trips, paged listings, retention, size limits
 * on both sides, and retries of uploads the SDK cannot retry itself.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { deleteArtifactsOlderThan } from '../../activities/pipeline/artifact-retention';
import { ArtifactMissingError, ArtifactTooLargeError } from '../../config/artifacts/artifact-store';
import { ArtifactError, downloadArtifact, uploadArtifact } from '../../activities/pipeline/artifacts';
import { S3ArtifactStore } from '../../config/artifacts/s3-artifact-store';
import { startS3Standin, type S3Standin } from '../helpers/s3-standin';

const BUCKET = 'capstan-artifacts';
const PREFIX = 'ci/artifacts';
const DAY_MS = 24 * 60 * 60 * 1000;
let standin: S3Standin;
let scratch: string;
let store: S3ArtifactStore;
let build: string;
let deploy: string;

before(async () => {
  standin = await startS3Standin({ buckets: [BUCKET], listPageSize: 2 });
  // The store has no credentials of its own: the SDK's default chain reads the standard variables.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDCAPSTANTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'capstan-test-secret';
  store = new S3ArtifactStore({
    bucket: BUCKET,
    region: 'eu-west-3',
    endpoint: standin.endpoint,
    prefix: `${PREFIX}/`,
    retryDelayMs: 10,
  });
  scratch = mkdtempSync(join(tmpdir(), 'capstan-s3-'));
});
after(async () => {
  await standin.close();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  standin.bucket(BUCKET).clear();
  standin.requests.length = 0;
  standin.omitContentLength = false;
  const base = mkdtempSync(join(scratch, 'run-'));
  build = join(base, 'build');
  deploy = join(base, 'deploy');
  mkdirSync(build);
  mkdirSync(deploy);
});

describe('S3ArtifactStore', () => {
  test('a directory round-trips to another job: one object under the prefix, streamed, every request SigV4-signed', async () => {
    const blob = randomBytes(3 * 1024 * 1024);
    mkdirSync(join(build, 'dist'));
    writeFileSync(join(build, 'dist', 'app.js'), 'ok\n');
    writeFileSync(join(build, 'dist', 'blob.bin'), blob);
    const bytes = await uploadArtifact(
      store,
      { runId: 'pipeline:acme/web@abc', jobId: 'build', name: 'app' },
      build,
      'dist',
      1 << 30,
    );
    assert.deepEqual([...standin.bucket(BUCKET).keys()], ['ci/artifacts/pipeline_acme_web_abc/build/app.tar']);
    assert.equal(standin.bucket(BUCKET).get('ci/artifacts/pipeline_acme_web_abc/build/app.tar')!.body.length, bytes);
    const put = standin.requests.find((r) => r.method === 'PUT')!;
    assert.equal(
      put.contentSha256,
      'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'the body is streamed in aws-chunked encoding with a CRC32 trailer, not buffered',
    );
    assert.equal(
      await downloadArtifact(store, {
        runId: 'pipeline:acme/web@abc',
        name: 'app',
        workspace: deploy,
        dir: '.',
        maxBytes: 1 << 30,
      }),
      bytes,
    );
    assert.ok(readFileSync(join(deploy, 'dist', 'blob.bin')).equals(blob));
    assert.equal(readFileSync(join(deploy, 'dist', 'app.js'), 'utf8'), 'ok\n');
    assert.ok(standin.requests.length >= 3);
    for (const request of standin.requests) {
      assert.match(
        request.authorization ?? '',
        /^AWS4-HMAC-SHA256 Credential=AKIDCAPSTANTEST\/\d{8}\/eu-west-3\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
        `${request.method} ${request.url}`,
      );
      assert.match(request.url, /^\/capstan-artifacts(\/|\?)/, 'path-style addressing');
    }
  });

  test('a missing object is ArtifactMissingError; downloadArtifact names the artifact and run', async () => {
    await assert.rejects(
      store.get('r/build/app.tar', join(deploy, 'x.tar'), 1 << 20),
      (err: Error) =>
        err instanceof ArtifactMissingError && err.message.includes('s3://capstan-artifacts/ci/artifacts/'),
    );
    await assert.rejects(
      downloadArtifact(store, { runId: 'r', name: 'app', workspace: deploy, dir: '.', maxBytes: 1 << 20 }),
      /download-artifact "app": no such artifact in run r/,
    );
  });

  test('listing pages through continuation tokens and keeps to the prefix', async () => {
    const source = join(scratch, 'small');
    writeFileSync(source, 'x');
    for (const job of ['a', 'b', 'c', 'd', 'e']) await store.put(`run-1/${job}/out.tar`, source);
    await store.put('run-2/a/out.tar', source);
    standin.putObject(BUCKET, 'elsewhere/run-1/z/out.tar', Buffer.from('not ours'));
    const listed = await store.list('run-1/');
    assert.deepEqual(
      listed.map((a) => a.key),
      ['run-1/a/out.tar', 'run-1/b/out.tar', 'run-1/c/out.tar', 'run-1/d/out.tar', 'run-1/e/out.tar'],
    );
    assert.ok(listed.every((a) => a.bytes === 1 && Math.abs(a.modifiedAt.getTime() - Date.now()) < 60_000));
    assert.ok(standin.requests.filter((r) => r.url.includes('list-type=2')).length >= 3, 'five keys at two per page');
    assert.equal((await store.list('')).length, 6);
  });

  test('retention deletes old artifacts only, never other objects sharing the bucket', async () => {
    const old = new Date(Date.now() - 40 * DAY_MS);
    const tar = Buffer.from('tar');
    standin.putObject(BUCKET, `${PREFIX}/old-run/build/app.tar`, tar, old);
    standin.putObject(BUCKET, `${PREFIX}/old-run/test/report.tar`, tar, old);
    standin.putObject(BUCKET, `${PREFIX}/new-run/build/app.tar`, tar);
    standin.putObject(BUCKET, `${PREFIX}/notes.txt`, tar, old);
    standin.putObject(BUCKET, 'backups/db/dump.tar', tar, old);
    assert.equal(await deleteArtifactsOlderThan(store, new Date(Date.now() - 30 * DAY_MS)), 2);
    assert.deepEqual([...standin.bucket(BUCKET).keys()].sort(), [
      'backups/db/dump.tar',
      `${PREFIX}/new-run/build/app.tar`,
      `${PREFIX}/notes.txt`,
    ]);
    assert.equal(standin.requests.filter((r) => r.method === 'DELETE').length, 2);
    await store.delete('old-run/build/app.tar'); // already gone: not an error
  });

  test('an upload over the limit is refused before anything is sent', async () => {
    writeFileSync(join(build, 'big.bin'), randomBytes(40_000));
    await assert.rejects(
      uploadArtifact(store, { runId: 'r', jobId: 'build', name: 'big' }, build, 'big.bin', 20_000),
      (err: Error) =>
        err instanceof ArtifactError &&
        /^upload-artifact "big": \d+ bytes, over the 20000-byte limit \(CAPSTAN_MAX_ARTIFACT_BYTES\)$/.test(
          err.message,
        ),
    );
    assert.deepEqual(standin.requests, []);
  });

  test('a stored object over the limit is refused on download: by its listed size, its Content-Length, or bytes counted as they stream', async () => {
    const key = `${PREFIX}/r/build/big.tar`;
    standin.putObject(BUCKET, key, randomBytes(50_000));
    await assert.rejects(
      downloadArtifact(store, { runId: 'r', name: 'big', workspace: deploy, dir: 'in', maxBytes: 20_000 }),
      (err: Error) =>
        err instanceof ArtifactError &&
        err.message ===
          'download-artifact "big": the stored artifact is 50000 bytes, over the 20000-byte limit (CAPSTAN_MAX_ARTIFACT_BYTES)',
    );
    assert.equal(existsSync(join(deploy, 'in')), false);
    await assert.rejects(
      store.get('r/build/big.tar', join(deploy, 'a.tar'), 20_000),
      (err: Error) => err instanceof ArtifactTooLargeError && err.bytes === 50_000 && !err.atLeast,
    );
    standin.omitContentLength = true;
    await assert.rejects(
      store.get('r/build/big.tar', join(deploy, 'b.tar'), 20_000),
      (err: Error) =>
        err instanceof ArtifactTooLargeError &&
        err.atLeast &&
        err.bytes > 20_000 &&
        err.bytes <= 50_000 &&
        /is at least \d+ bytes/.test(err.message),
    );
    assert.equal(
      await store.get('r/build/big.tar', join(deploy, 'c.tar'), 50_000),
      50_000,
      'at the limit is allowed, even without a length',
    );
  });

  test('uploads are retried with a fresh stream after server errors; a refusal is not retried', async () => {
    const source = join(scratch, 'retried');
    const content = randomBytes(100_000);
    writeFileSync(source, content);
    standin.failNext(2, 503);
    assert.equal(await store.put('r/build/app.tar', source), 100_000);
    assert.ok(standin.bucket(BUCKET).get(`${PREFIX}/r/build/app.tar`)!.body.equals(content));
    assert.equal(standin.requests.filter((r) => r.method === 'PUT').length, 3);
    standin.requests.length = 0;
    standin.failNext(1, 403);
    await assert.rejects(
      store.put('r/build/app.tar', source),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode === 403,
    );
    assert.equal(standin.requests.length, 1);
  });
});
