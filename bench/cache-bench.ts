/**
 * `npm run bench:cache`: what a `cache` step saves on a Node project's install. A small real project
 * (test/fixtures/cache-npm/v1: express, lodash, semver; 74 packages from the npm registry) is installed
 * cold (`npm ci` with an empty npm cache, then the cache saved) and warm (node_modules restored by its
 * exact key, no install), through the cache code the workers run: entries in a real PostgreSQL, archives
 * in the local artifact store and in an S3-compatible bucket (the tests' stand-in). Report on stdout,
 * progress on stderr; BENCH_CACHE_ROUNDS rounds each (default 3), medians reported.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashFiles } from '../activities/pipeline/cache/hash-files';
import { restoreCache, saveCache, type CacheDeps } from '../activities/pipeline/cache/job-cache';
import type { ArtifactStore } from '../config/artifacts/artifact-store';
import { LocalArtifactStore } from '../config/artifacts/local-artifact-store';
import { S3ArtifactStore } from '../config/artifacts/s3-artifact-store';
import { createLogger } from '../config/logger';
import { REPO_ROOT } from '../config/paths';
import { openDatabase } from '../db/open';
import { freePort } from '../test/helpers/ports';
import { startPostgresServer } from '../test/helpers/postgres-server';
import { startS3Standin } from '../test/helpers/s3-standin';
import { intSetting, progressLogger } from './lib/settings';

const run = promisify(execFile);
const log = progressLogger('bench:cache', performance.now());
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'cache-npm', 'v1');

/** One measured install: the cache step's restore, the install (skipped on a hit), and the save after it. */
interface Install {
  restoreS: number;
  installS: number;
  saveS: number;
  totalS: number;
  hit: boolean;
  bytes?: number;
}

async function timed<T>(what: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await what();
  return [value, (performance.now() - start) / 1000];
}

/** A fresh workspace holding the project, as a checkout would leave it. */
function workspaceOf(root: string, name: string): string {
  const dir = join(root, name, 'workspace');
  mkdirSync(dir, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(FIXTURE, file), join(dir, file));
  return dir;
}

async function install(deps: CacheDeps, workspace: string, repository: string): Promise<Install> {
  const key = `npm-${await hashFiles(workspace, ['package-lock.json'])}`;
  const scope = { repository, branch: 'main' };
  const cache = { key, restoreKeys: ['npm-'], paths: ['node_modules'] };
  const quiet = (): void => undefined;
  const [restored, restoreS] = await timed(() => restoreCache(deps, scope, cache, workspace, quiet));
  const [, installS] = await timed(async () => {
    if (restored.hit) return;
    // An empty npm cache of its own: a cold job downloads every package, as on a fresh CI machine.
    await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: workspace,
      env: { ...process.env, npm_config_cache: join(workspace, '..', 'npm-cache') },
    });
  });
  // The job's own check that the packages load, outside the measured phases.
  await run(process.execPath, ['-e', "require('express'); require('lodash'); require('semver')"], { cwd: workspace });
  const [saved, saveS] = restored.hit
    ? [undefined, 0]
    : await timed(() => saveCache(deps, scope, cache, workspace, { runId: 'bench', jobId: 'install' }, quiet));
  return { restoreS, installS, saveS, totalS: restoreS + installS + saveS, hit: restored.hit, bytes: saved?.bytes };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const f = (s: number): string => `${s.toFixed(2)} s`;

async function main(): Promise<void> {
  const rounds = intSetting('BENCH_CACHE_ROUNDS', 3);
  const root = mkdtempSync(join(tmpdir(), 'capstan-bench-cache-'));
  const server = startPostgresServer(await freePort());
  const standin = await startS3Standin({ buckets: ['bench-cache'] });
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDBENCHCACHE';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-cache-secret';
  const db = await openDatabase(server.url, createLogger('bench-cache', 'warn'));
  const stores: Array<[string, ArtifactStore]> = [
    ['local directory', new LocalArtifactStore(join(root, 'artifacts'))],
    [
      'S3 bucket (stand-in)',
      new S3ArtifactStore({ bucket: 'bench-cache', region: 'us-east-1', endpoint: standin.endpoint }),
    ],
  ];
  const lines: string[] = [];
  try {
    for (const [name, store] of stores) {
      const deps: CacheDeps = { db, store, maxEntryBytes: 1 << 30, maxRepositoryBytes: 10 * (1 << 30) };
      const cold: Install[] = [];
      const warm: Install[] = [];
      for (let round = 0; round < rounds; round++) {
        // A repository per round, so every cold round misses.
        const repository = `bench/${name.split(' ')[0]}-${round}`;
        log(`${name}, round ${round + 1}/${rounds}: cold`);
        cold.push(await install(deps, workspaceOf(root, `${repository}-cold`), repository));
        log(`${name}, round ${round + 1}/${rounds}: warm`);
        warm.push(await install(deps, workspaceOf(root, `${repository}-warm`), repository));
        if (cold.at(-1)!.hit || !warm.at(-1)!.hit) throw new Error('expected a cold miss and a warm hit');
        log(`${name}, round ${round + 1}: cold ${JSON.stringify(cold.at(-1))}, warm ${JSON.stringify(warm.at(-1))}`);
      }
      const c = median(cold.map((r) => r.totalS));
      const w = median(warm.map((r) => r.totalS));
      lines.push(
        `${name}: cold ${f(c)} (npm ci ${f(median(cold.map((r) => r.installS)))}, save ${f(median(cold.map((r) => r.saveS)))}, ` +
          `entry ${(median(cold.map((r) => r.bytes ?? 0)) / 1e6).toFixed(2)} MB) | warm ${f(w)} (restore ${f(median(warm.map((r) => r.restoreS)))}, no install) | ` +
          `cold/warm ${(c / w).toFixed(1)}x`,
      );
    }
  } finally {
    await db.end();
    await standin.close();
    server.remove();
    rmSync(root, { recursive: true, force: true });
  }
  console.log(
    `bench:cache: ${rounds} rounds each, medians (Node ${process.version}, ${FIXTURE.replace(`${REPO_ROOT}/`, '')})`,
  );
  for (const line of lines) console.log(line);
}

main().catch((err: unknown) => {
  console.error(`bench:cache failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
