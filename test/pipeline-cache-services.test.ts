/**
 * Cache steps and job services end to end on real workers: a Node project's `npm ci` (real packages from the
 * npm registry) cached by `hashFiles('package-lock.json')` and restored on the second run; a changed lock file
 * that misses the key and restores by prefix from the default branch; least-recently-used eviction and the
 * per-entry limit; a real PostgreSQL started as a service that a step queries with psql and that is gone after
 * the job; a service that never gets ready failing its job with its log tail.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, newContext, seriousA11yViolations, shoot, signInWith } from './helpers/browser';
import { gitIn } from './helpers/git';
import { freePort } from './helpers/ports';
import { postgresBinDir } from './helpers/postgres-server';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';
import { startS3Standin } from './helpers/s3-standin';
import { restoreCache, saveCache, type CacheDeps } from '../activities/pipeline/cache/job-cache';
import { S3ArtifactStore } from '../config/artifacts/s3-artifact-store';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'cache-npm');
let stack: TestStack;
let repo: string;
let pgPort: number;
let deadPort: number;

const git = (...args: string[]): string => gitIn(repo, ...args);

/** The npm job: the cache step, then `npm ci` only when the key missed, then a check that the packages load. */
const NPM_PIPELINE = `name: npm
on: { manual: true }
jobs:
  install:
    runs-on: a
    steps:
      - checkout: true
      - id: deps
        cache:
          key: "npm-\${{ hashFiles('package-lock.json') }}"
          restore-keys: [npm-]
          path: node_modules
      - name: install
        run: |
          if [ "$HIT" != true ]; then npm ci --no-audit --no-fund; fi
          echo "hit=$HIT matched=$MATCHED"
        env:
          HIT: \${{ steps.deps.outputs.cache-hit }}
          MATCHED: \${{ steps.deps.outputs.cache-matched-key }}
          # Each job's npm cache starts empty, so a miss really downloads.
          npm_config_cache: .npm-cache
      - run: node -e "require('express'); require('lodash'); console.log('semver', require('semver/package.json').version)"
`;

/** A job whose cache step keeps `blob`: made of random bytes (they do not compress) when `size` is given. */
function blobJob(id: string, key: string, needs: string | undefined, size?: number): string {
  const run = size
    ? `mkdir -p blob && head -c ${size} /dev/urandom > blob/data`
    : 'echo "hit=${{ steps.c.outputs.cache-hit }}"';
  return `  ${id}:
    runs-on: a
${needs ? `    needs: [${needs}]\n` : ''}    steps:
      - id: c
        cache: { key: ${key}, path: blob }
      - run: ${run}
`;
}

/** Entries of 1.5 MB in another repository, whose budget is 4 MB: e1, e2, e1 used again, e3 (evicts e2), e2 (gone). */
const EVICT_PIPELINE = `name: evict
on: { manual: true }
jobs:
${blobJob('e1', 'e1', undefined, 1_500_000)}${blobJob('e2', 'e2', 'e1', 1_500_000)}${blobJob('e1_again', 'e1', 'e2')}${blobJob('e3', 'e3', 'e1_again', 1_500_000)}${blobJob('e2_again', 'e2', 'e3')}${blobJob('huge', 'huge', 'e2_again', 3_500_000)}`;

function servicePipeline(): string {
  const bin = postgresBinDir();
  return `name: services
on: { manual: true }
jobs:
  db:
    runs-on: a
    services:
      pg:
        run: |
          # PostgreSQL refuses to run as root; a worker running as root starts it as the postgres user.
          if [ "$(id -u)" = 0 ]; then chown postgres "$CAPSTAN_SERVICE_DIR"; AS="runuser -u postgres --"; fi
          $AS ${bin}/initdb -D "$CAPSTAN_SERVICE_DIR/data" -U postgres -A trust --no-sync >/dev/null
          exec $AS ${bin}/postgres -D "$CAPSTAN_SERVICE_DIR/data" -k "$CAPSTAN_SERVICE_DIR" -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=off
        env: { PGPORT: '${pgPort}' }
        ready: { run: 'pg_isready -h 127.0.0.1 -p ${pgPort}', timeout-seconds: 60 }
    steps:
      - run: psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc 'select 6 * 7'
  broken:
    runs-on: a
    services:
      web:
        run: |
          echo "loading config"
          echo "fatal: listen port not configured" >&2
          sleep 300
        ready: { port: ${deadPort}, timeout-seconds: 3 }
    steps:
      - run: echo never
`;
}

before(async () => {
  stack = await startTestStack({
    workerEnv: { CAPSTAN_CACHE_MAX_BYTES: '3000000', CAPSTAN_CACHE_REPOSITORY_MAX_BYTES: '4000000' },
  });
  pgPort = await freePort();
  deadPort = await freePort();
  repo = mkdtempSync(join(tmpdir(), 'capstan-cache-repo-'));
  git('init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(FIXTURES, 'v1', file), join(repo, file));
  writeFileSync(join(repo, '.gitignore'), 'node_modules\n.npm-cache\n');
  writeFileSync(join(repo, '.capstan', 'npm.yaml'), NPM_PIPELINE);
  writeFileSync(join(repo, '.capstan', 'evict.yaml'), EVICT_PIPELINE);
  writeFileSync(join(repo, '.capstan', 'services.yaml'), servicePipeline());
  git('add', '-A');
  git('commit', '-q', '-m', 'v1');
});

after(async () => {
  await stack?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

async function runPipeline(file: string, options: { sha?: string; branch?: string; repository?: string } = {}) {
  const started = await stack.request('POST', '/v1/pipelines/runs', {
    repository: options.repository ?? 'acme/web',
    cloneUrl: repo,
    sha: options.sha ?? git('rev-parse', 'HEAD'),
    branch: options.branch ?? 'main',
    pipelinePath: `.capstan/${file}`,
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForRunEnd(stack, started.body.runId, 300_000);
}

async function log(runId: string, path: string): Promise<string> {
  const res = await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(runId)}/${path}`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.text();
}

const seconds = (step: { startedAt: string; finishedAt: string }): number =>
  (Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000;

test(
  'the second run restores node_modules by its exact key; a changed lock file restores by prefix from the default branch',
  { timeout: 600_000 },
  async () => {
    const cold = await runPipeline('npm.yaml');
    assert.equal(cold.status, 'completed', JSON.stringify(cold.failure ?? cold.pipeline));
    const [, coldCache, coldInstall] = cold.pipeline.jobs[0].steps;
    assert.deepEqual(
      { hit: coldCache.outputs['cache-hit'], matched: coldCache.outputs['cache-matched-key'] },
      { hit: 'false', matched: '' },
    );
    assert.match(coldCache.outputs['cache-primary-key'], /^npm-[0-9a-f]{64}$/);
    assert.match(coldCache.message, /saved cache "npm-[0-9a-f]{64}" \(\d+ bytes\)/);
    assert.match(await log(cold.runId, 'jobs/install/steps/post-1/log'), /saved cache "npm-/);

    const warm = await runPipeline('npm.yaml');
    assert.equal(warm.status, 'completed', JSON.stringify(warm.failure ?? warm.pipeline));
    const [, warmCache, warmInstall] = warm.pipeline.jobs[0].steps;
    assert.equal(warmCache.outputs['cache-hit'], 'true');
    assert.equal(warmCache.outputs['cache-matched-key'], coldCache.outputs['cache-primary-key']);
    assert.doesNotMatch(warmCache.message, /saved/, 'an exact hit is not saved again');
    assert.match(await log(warm.runId, 'jobs/install/steps/3/log'), /semver 7\.6\.3/);
    const figures = {
      coldInstallSeconds: seconds(coldInstall),
      warmRestoreSeconds: seconds(warmCache),
      warmInstallSeconds: seconds(warmInstall),
      coldJobSeconds: seconds(cold.pipeline.jobs[0]),
      warmJobSeconds: seconds(warm.pipeline.jobs[0]),
    };
    console.log(`# npm ci cold vs warm cache: ${JSON.stringify(figures)}`);

    // A changed lock file on another branch: no entry for its key anywhere, so the default branch's npm- entry.
    // The repository's HEAD stays on main, which is how the worker learns the default branch.
    git('checkout', '-q', '-b', 'feature');
    for (const file of ['package.json', 'package-lock.json'])
      copyFileSync(join(FIXTURES, 'v2', file), join(repo, file));
    git('commit', '-q', '-am', 'v2: add ms');
    const featureSha = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    const changed = await runPipeline('npm.yaml', { branch: 'feature', sha: featureSha });
    assert.equal(changed.status, 'completed', JSON.stringify(changed.failure ?? changed.pipeline));
    const [, changedCache] = changed.pipeline.jobs[0].steps;
    assert.equal(changedCache.outputs['cache-hit'], 'false');
    assert.notEqual(changedCache.outputs['cache-primary-key'], coldCache.outputs['cache-primary-key']);
    assert.equal(changedCache.outputs['cache-matched-key'], coldCache.outputs['cache-primary-key']);
    const cacheLog = await log(changed.runId, 'jobs/install/steps/1/log');
    assert.match(cacheLog, /restored cache "npm-[0-9a-f]{64}" \(\d+ bytes, saved on main\) by prefix/);
    const { rows } = await stack.db.query<{ branch: string; cache_key: string }>(
      "SELECT branch, cache_key FROM pipeline_caches WHERE repository = 'acme/web' ORDER BY id",
    );
    assert.deepEqual(
      rows.map((r) => `${r.branch} ${r.cache_key}`),
      [`main ${coldCache.outputs['cache-primary-key']}`, `feature ${changedCache.outputs['cache-primary-key']}`],
      'the miss on feature saved its own entry there',
    );
  },
);

test(
  'past the repository limit the least recently used entry is evicted; an entry over the per-entry limit is not saved',
  { timeout: 300_000 },
  async () => {
    const run = await runPipeline('evict.yaml', { repository: 'acme/evict' });
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    const job = (id: string) => run.pipeline.jobs.find((j: { id: string }) => j.id === id);
    assert.equal(job('e1_again').steps[0].outputs['cache-hit'], 'true', 'e1 was used again after e2 was saved');
    assert.match(job('e3').steps[0].message, /saved cache "e3" \(\d+ bytes\); evicted 1 least recently used \("e2"\)/);
    assert.equal(job('e2_again').steps[0].outputs['cache-hit'], 'false', 'e2 is gone');
    assert.match(
      job('huge').steps[0].message,
      /cache "huge" not saved: \d+ bytes, over the 3000000-byte limit \(CAPSTAN_CACHE_MAX_BYTES\)/,
    );
    assert.equal(job('huge').status, 'succeeded', 'a cache that cannot be kept does not fail its job');
    const { rows } = await stack.db.query<{ cache_key: string; store_key: string }>(
      "SELECT cache_key, store_key FROM pipeline_caches WHERE repository = 'acme/evict' ORDER BY cache_key",
    );
    // e2_again missed and had no blob to save; huge was refused.
    assert.deepEqual(
      rows.map((r) => r.cache_key),
      ['e1', 'e3'],
    );
    for (const row of rows) assert.ok(existsSync(join(stack.dataDir, 'artifacts', row.store_key)), row.store_key);
  },
);

test(
  'a PostgreSQL service runs while the steps query it with psql and is gone after the job; one never ready fails its job with its log tail',
  { timeout: 300_000 },
  async () => {
    const run = await runPipeline('services.yaml');
    const db = run.pipeline.jobs.find((j: { id: string }) => j.id === 'db');
    assert.equal(db.status, 'succeeded', JSON.stringify(db));
    assert.match(await log(run.runId, 'jobs/db/steps/0/log'), /^42$/m);
    const [pg] = db.services;
    assert.equal(pg.name, 'pg');
    assert.equal(pg.status, 'stopped');
    assert.ok(pg.readyAt && pg.stoppedAt, JSON.stringify(pg));
    assert.match(await log(run.runId, 'jobs/db/services/pg/log'), /database system is ready to accept connections/);
    assert.equal(await groupGone(pg.pid), true, 'no process of the service group is left');
    assert.equal(await portAnswers(pgPort), false, 'the port no longer answers');

    const broken = run.pipeline.jobs.find((j: { id: string }) => j.id === 'broken');
    assert.equal(broken.status, 'failed');
    assert.match(broken.message, /service "web" did not become ready within 3s \(port \d+ refused connections\)/);
    assert.match(broken.message, /fatal: listen port not configured/);
    assert.equal(broken.steps[0].status, 'skipped');
    assert.equal(broken.services[0].status, 'failed');
    assert.equal(await groupGone(broken.services[0].pid), true);

    // The console lists each job's services with their status, and opens a service's log.
    const viewer = await stack.mintToken('viewer', { principal: 'services-viewer' });
    const browser = await launchBrowser();
    try {
      const page = await (await newContext(browser, { forAxe: true })).newPage();
      await page.goto(`${stack.baseUrl}/runs/${encodeURIComponent(run.runId)}`);
      await signInWith(page, viewer.token);
      const services = page.getByRole('list', { name: 'Services of db' });
      await services.getByText('stopped').waitFor();
      assert.match((await page.getByRole('list', { name: 'Services of broken' }).textContent()) ?? '', /failed/);
      await services.getByRole('link', { name: 'service pg' }).click();
      await page.getByRole('region', { name: 'Log of db · service pg' }).waitFor();
      await page.waitForFunction(() =>
        (globalThis as any).document
          .querySelector('[data-testid="log-text"]')
          ?.textContent?.includes('database system is ready to accept connections'),
      );
      await shoot(page, 'pipeline-services');
      assert.deepEqual(await seriousA11yViolations(page), []);
    } finally {
      await browser.close();
    }
  },
);

test(
  'in an S3 bucket: entries are saved, restored by key and prefix, and evicted objects deleted, without listing the bucket',
  { timeout: 120_000 },
  async () => {
    const standin = await startS3Standin({ buckets: ['caches'] });
    process.env.AWS_ACCESS_KEY_ID ??= 'AKIDCACHETEST';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'cache-test-secret';
    try {
      const store = new S3ArtifactStore({
        bucket: 'caches',
        region: 'us-east-1',
        endpoint: standin.endpoint,
        prefix: 'ci',
      });
      const deps: CacheDeps = { db: stack.db, store, maxEntryBytes: 3_000_000, maxRepositoryBytes: 2_500_000 };
      const root = mkdtempSync(join(tmpdir(), 'capstan-cache-s3-'));
      const scope = { repository: 'acme/s3', branch: 'main' };
      const lines: string[] = [];
      const note = (line: string): void => void lines.push(line);
      // Random bytes do not compress, so each entry weighs what the limits below count.
      const workspace = (name: string, bytes?: number): string => {
        const dir = join(root, name);
        mkdirSync(join(dir, 'deps'), { recursive: true });
        if (bytes) writeFileSync(join(dir, 'deps', 'blob'), randomBytes(bytes));
        return dir;
      };
      const owner = { runId: 'r', jobId: 'j' };
      const one = { key: 'deps-1', restoreKeys: ['deps-'], paths: ['deps'] };
      assert.equal((await saveCache(deps, scope, one, workspace('a', 1_000_000), owner, note)).saved, true);
      const exact = await restoreCache(deps, scope, one, workspace('b'), note);
      assert.deepEqual(exact, { hit: true, matchedKey: 'deps-1', bytes: exact.bytes });
      assert.ok(existsSync(join(root, 'b', 'deps', 'blob')), 'unpacked into the workspace');
      const prefix = await restoreCache(deps, scope, { ...one, key: 'deps-2' }, workspace('c'), note);
      assert.deepEqual([prefix.hit, prefix.matchedKey], [false, 'deps-1']);
      const two = await saveCache(deps, scope, { ...one, key: 'deps-2' }, workspace('d', 1_000_000), owner, note);
      assert.equal(two.evicted, 0);
      const three = await saveCache(deps, scope, { ...one, key: 'deps-3' }, workspace('e', 1_000_000), owner, note);
      assert.equal(three.evicted, 1, lines.join('\n'));
      assert.equal(standin.bucket('caches').size, 2, 'the evicted archive was deleted from the bucket');
      assert.ok(
        [...standin.bucket('caches').keys()].every((k) =>
          /^ci\/_caches\/[0-9a-f]{16}\/[0-9a-f]{24}\.tar\.(zst|gz)$/.test(k),
        ),
      );
      assert.ok(
        standin.requests.every((r) => !/list-type=2/.test(r.url ?? '')),
        'lookups and eviction read PostgreSQL, never a listing of the bucket',
      );
      rmSync(root, { recursive: true, force: true });
    } finally {
      await standin.close();
    }
  },
);

/** Whether the process group is gone, allowing a moment for its last processes to be reaped. */
async function groupGone(pgid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(-pgid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
