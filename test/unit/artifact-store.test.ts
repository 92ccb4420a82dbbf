/** The local artifact store on a real directory, with real tar: round trips, atomic replacement, limits, retention, keys and config. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { deleteArtifactsOlderThan, startArtifactRetentionSweeper } from '../../activities/pipeline/artifact-retention';
import {
  artifactKey,
  assertArtifactKey,
  ArtifactMissingError,
  ArtifactTooLargeError,
} from '../../config/artifacts/artifact-store';
import { ArtifactError, downloadArtifact, uploadArtifact } from '../../activities/pipeline/artifacts';
import { LocalArtifactStore } from '../../config/artifacts/local-artifact-store';
import { openArtifactStore } from '../../config/artifacts/open-artifact-store';
import { S3ArtifactStore } from '../../config/artifacts/s3-artifact-store';
import { ConfigError, loadConfig } from '../../config/env';
import { createLogger } from '../../config/logger';

const scratch = mkdtempSync(join(tmpdir(), 'capstan-artifacts-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const DAY_MS = 24 * 60 * 60 * 1000;
let counter = 0;

/** A fresh store and two job workspaces laid out as the pipeline activities lay them out. */
function setup(): { root: string; store: LocalArtifactStore; build: string; deploy: string } {
  const base = join(scratch, String(++counter));
  const build = join(base, 'workspaces', 'pipelines', 'run', 'build');
  const deploy = join(base, 'workspaces', 'pipelines', 'run', 'deploy');
  mkdirSync(build, { recursive: true });
  mkdirSync(deploy, { recursive: true });
  const root = join(base, 'artifacts');
  return { root, store: new LocalArtifactStore(root), build, deploy };
}

function age(path: string, days: number): void {
  const when = new Date(Date.now() - days * DAY_MS);
  utimesSync(path, when, when);
}

describe('LocalArtifactStore through upload and download', () => {
  test('a directory round-trips through tar to another job, with its layout, binary content and modes', async () => {
    const { root, store, build, deploy } = setup();
    const binary = randomBytes(200_000);
    mkdirSync(join(build, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(build, 'dist', 'app.js'), 'console.log(1)\n');
    writeFileSync(join(build, 'dist', 'assets', 'blob.bin'), binary);
    writeFileSync(join(build, 'dist', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const runId = 'pipeline:acme/web@abc123';
    const uploaded = await uploadArtifact(store, { runId, jobId: 'build', name: 'app' }, build, 'dist', 1 << 30);
    assert.ok(uploaded > 200_000);
    assert.deepEqual(
      readdirSync(join(root, 'pipeline_acme_web_abc123', 'build')),
      ['app.tar'],
      'one file under <run>/<job>/<name>.tar, no temporary left',
    );
    const downloaded = await downloadArtifact(store, {
      runId,
      name: 'app',
      workspace: deploy,
      dir: 'out',
      maxBytes: 1 << 30,
    });
    assert.equal(downloaded, uploaded);
    assert.equal(readFileSync(join(deploy, 'out', 'dist', 'app.js'), 'utf8'), 'console.log(1)\n');
    assert.ok(readFileSync(join(deploy, 'out', 'dist', 'assets', 'blob.bin')).equals(binary));
    assert.ok(existsSync(join(deploy, 'out', 'dist', 'run.sh')));
    assert.deepEqual(
      readdirSync(join(deploy, '..')).sort(),
      ['build', 'deploy'],
      'no staging tar left beside the workspaces',
    );
  });

  test('a missing path or artifact is an ArtifactError naming it', async () => {
    const { store, build } = setup();
    await assert.rejects(
      uploadArtifact(store, { runId: 'r', jobId: 'build', name: 'app' }, build, 'nope', 1 << 30),
      (err: Error) =>
        err instanceof ArtifactError && /upload-artifact "app": path "nope" does not exist/.test(err.message),
    );
    await assert.rejects(
      downloadArtifact(store, { runId: 'r', name: 'app', workspace: build, dir: '.', maxBytes: 1 << 30 }),
      (err: Error) =>
        err instanceof ArtifactError && /download-artifact "app": no such artifact in run r/.test(err.message),
    );
    await assert.rejects(store.get('r/build/app.tar', join(build, 'x'), 1 << 30), ArtifactMissingError);
  });

  test('an upload over the limit fails naming the artifact, its size and the variable, and stores nothing', async () => {
    const { root, store, build } = setup();
    writeFileSync(join(build, 'big.bin'), randomBytes(50_000));
    await assert.rejects(
      uploadArtifact(store, { runId: 'r', jobId: 'build', name: 'big' }, build, 'big.bin', 10_000),
      (err: Error) =>
        err instanceof ArtifactError &&
        /^upload-artifact "big": \d{5} bytes, over the 10000-byte limit \(CAPSTAN_MAX_ARTIFACT_BYTES\)$/.test(
          err.message,
        ),
    );
    assert.equal(existsSync(root), false);
    assert.deepEqual(readdirSync(join(build, '..')), ['build', 'deploy']);
  });

  test("a stored artifact over the reader's limit is refused on download, before anything is unpacked", async () => {
    const { store, build, deploy } = setup();
    writeFileSync(join(build, 'big.bin'), randomBytes(50_000));
    const bytes = await uploadArtifact(store, { runId: 'r', jobId: 'build', name: 'big' }, build, 'big.bin', 1 << 30);
    await assert.rejects(
      downloadArtifact(store, { runId: 'r', name: 'big', workspace: deploy, dir: 'in', maxBytes: 10_000 }),
      (err: Error) =>
        err instanceof ArtifactError &&
        err.message ===
          `download-artifact "big": the stored artifact is ${bytes} bytes, over the 10000-byte limit (CAPSTAN_MAX_ARTIFACT_BYTES)`,
    );
    assert.equal(existsSync(join(deploy, 'in')), false);
    await assert.rejects(
      store.get('r/build/big.tar', join(deploy, 'x.tar'), 10_000),
      (err: Error) => err instanceof ArtifactTooLargeError && err.bytes === bytes,
    );
  });
});

describe('LocalArtifactStore writes', () => {
  test('replacing an artifact is atomic: concurrent readers get the old file or the new one, whole', async () => {
    const { root, store } = setup();
    mkdirSync(root, { recursive: true });
    const a = join(scratch, `a-${counter}`);
    const b = join(scratch, `b-${counter}`);
    writeFileSync(a, Buffer.alloc(3_000_000, 'a'));
    writeFileSync(b, Buffer.alloc(1_000_000, 'b'));
    await store.put('r/j/x.tar', a);
    const reads: Array<Promise<Buffer>> = [];
    const writes: Array<Promise<number>> = [];
    for (let i = 0; i < 20; i++) {
      writes.push(store.put('r/j/x.tar', i % 2 ? a : b));
      const target = join(root, `read-${i}`);
      reads.push(store.get('r/j/x.tar', target, 1 << 30).then(() => readFile(target)));
    }
    await Promise.all(writes);
    for (const content of await Promise.all(reads)) {
      assert.ok(
        content.equals(readFileSync(a)) || content.equals(readFileSync(b)),
        `a read saw a partial file of ${content.length} bytes`,
      );
    }
    assert.deepEqual(readdirSync(join(root, 'r', 'j')), ['x.tar'], 'no temporary file left');
  });

  test('a failed put leaves the previous artifact in place and no temporary file', async () => {
    const { root, store } = setup();
    const source = join(scratch, `s-${counter}`);
    writeFileSync(source, 'first');
    await store.put('r/j/x.tar', source);
    await assert.rejects(store.put('r/j/x.tar', join(scratch, 'missing-source')), /ENOENT/);
    assert.equal(readFileSync(join(root, 'r', 'j', 'x.tar'), 'utf8'), 'first');
    assert.deepEqual(readdirSync(join(root, 'r', 'j')), ['x.tar']);
  });

  test("keys cannot leave the store's directory", async () => {
    const { store } = setup();
    for (const key of ['../x.tar', 'r/../../x.tar', '/etc/passwd', 'r//x.tar', 'r/./x.tar', '']) {
      assert.throws(() => assertArtifactKey(key), /invalid artifact key/, key);
      await assert.rejects(store.put(key, __filename), /invalid artifact key/, key);
    }
    assert.equal(artifactKey('pipeline:acme/web@abc', 'build', 'app.v2'), 'pipeline_acme_web_abc/build/app.v2.tar');
    assert.equal(artifactKey('..', 'build', 'app'), '__/build/app.tar');
  });
});

describe('artifact retention', () => {
  test('deletes only artifacts (and stale staging copies) older than the cutoff, and their emptied directories', async () => {
    const { root, store } = setup();
    const source = join(scratch, `r-${counter}`);
    writeFileSync(source, 'tar');
    await store.put('old-run/build/app.tar', source);
    await store.put('old-run/build/docs.tar', source);
    await store.put('mixed-run/build/app.tar', source);
    await store.put('mixed-run/test/report.tar', source);
    await store.put('new-run/build/app.tar', source);
    writeFileSync(join(root, 'mixed-run', 'build', 'app.tar.4242.0badc0de.tmp'), 'half');
    writeFileSync(join(root, 'README.txt'), 'not an artifact');
    for (const path of [
      'old-run/build/app.tar',
      'old-run/build/docs.tar',
      'mixed-run/build/app.tar',
      'mixed-run/build/app.tar.4242.0badc0de.tmp',
      'README.txt',
    ])
      age(join(root, path), 31);
    age(join(root, 'mixed-run', 'test', 'report.tar'), 29);
    const deleted = await deleteArtifactsOlderThan(store, new Date(Date.now() - 30 * DAY_MS));
    assert.equal(deleted, 4);
    assert.deepEqual((await store.list('')).map((a) => a.key).sort(), [
      'README.txt',
      'mixed-run/test/report.tar',
      'new-run/build/app.tar',
    ]);
    assert.equal(existsSync(join(root, 'old-run')), false, 'an emptied run directory goes');
    assert.equal(existsSync(join(root, 'mixed-run', 'build')), false);
    assert.deepEqual(
      (await store.list('mixed-run/')).map((a) => a.key),
      ['mixed-run/test/report.tar'],
    );
    assert.deepEqual(await store.list('no-such-run/'), []);
  });

  test('the sweeper sweeps once at start; with 0 days it never deletes', async () => {
    const logger = createLogger('test', 'silent');
    const { root, store } = setup();
    const source = join(scratch, `w-${counter}`);
    writeFileSync(source, 'tar');
    await store.put('run/build/app.tar', source);
    age(join(root, 'run', 'build', 'app.tar'), 2);
    const keep = startArtifactRetentionSweeper(store, { retentionDays: 0, intervalMs: 10, logger });
    await new Promise((r) => setTimeout(r, 100));
    keep();
    assert.equal((await store.list('')).length, 1);
    const stop = startArtifactRetentionSweeper(store, { retentionDays: 1, intervalMs: 60 * 60 * 1000, logger });
    for (let i = 0; i < 100 && (await store.list('')).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.deepEqual(await store.list(''), []);
  });
});

describe('artifact store configuration', () => {
  test('local by default, 30 days of retention', () => {
    const config = loadConfig({ CAPSTAN_DATA_DIR: '/srv/capstan' });
    assert.deepEqual(config.pipeline.artifactStore, { kind: 'local' });
    assert.equal(config.pipeline.artifactRetentionDays, 30);
    const store = openArtifactStore(config.pipeline);
    assert.ok(store instanceof LocalArtifactStore);
    assert.equal(store.location, '/srv/capstan/artifacts');
  });

  test('s3 with its bucket, endpoint, region and prefix', () => {
    const config = loadConfig({
      CAPSTAN_ARTIFACT_STORE: 's3',
      CAPSTAN_ARTIFACT_S3_BUCKET: 'ci-artifacts',
      CAPSTAN_ARTIFACT_S3_ENDPOINT: 'http://minio:9000',
      CAPSTAN_ARTIFACT_S3_PREFIX: 'capstan/',
      CAPSTAN_ARTIFACT_RETENTION_DAYS: '7',
    });
    assert.deepEqual(config.pipeline.artifactStore, {
      kind: 's3',
      bucket: 'ci-artifacts',
      region: 'us-east-1',
      endpoint: 'http://minio:9000',
      prefix: 'capstan/',
    });
    assert.equal(config.pipeline.artifactRetentionDays, 7);
    const store = openArtifactStore(config.pipeline);
    assert.ok(store instanceof S3ArtifactStore);
    assert.equal(store.location, 's3://ci-artifacts/capstan/');
  });

  test('s3 without a bucket, and bad values, fail naming each variable', () => {
    assert.throws(
      () => loadConfig({ CAPSTAN_ARTIFACT_STORE: 's3' }),
      (err: Error) =>
        err instanceof ConfigError &&
        /CAPSTAN_ARTIFACT_S3_BUCKET: is required when CAPSTAN_ARTIFACT_STORE is s3/.test(err.message),
    );
    assert.throws(
      () =>
        loadConfig({
          CAPSTAN_ARTIFACT_STORE: 'gcs',
          CAPSTAN_ARTIFACT_S3_ENDPOINT: 'ftp://x',
          CAPSTAN_ARTIFACT_S3_BUCKET: 'No_Such',
          CAPSTAN_ARTIFACT_S3_PREFIX: 'a/../b',
          CAPSTAN_ARTIFACT_RETENTION_DAYS: '-1',
        }),
      (err: Error) =>
        [
          'CAPSTAN_ARTIFACT_STORE',
          'CAPSTAN_ARTIFACT_S3_ENDPOINT',
          'CAPSTAN_ARTIFACT_S3_BUCKET',
          'CAPSTAN_ARTIFACT_S3_PREFIX',
          'CAPSTAN_ARTIFACT_RETENTION_DAYS',
        ].every((v) => err.message.includes(v)),
    );
  });
});
