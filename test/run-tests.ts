/**
 * The test command: obtains the Temporal CLI with the same bootstrap as `npm start`, runs one real
 * PostgreSQL server (unless CAPSTAN_TEST_DATABASE_URL names one), and runs the `*.test.js` files with
 * node's test runner on each Temporal profile in turn: every file on the dev server, then the files of
 * CLUSTER_SUITE on a Temporal server on that PostgreSQL (CAPSTAN_TEST_TEMPORAL=dev or =cluster runs one).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { resolvePulumiBinary } from '../toolchain/pulumi-binary';
import { resolveTemporalBinary } from '../toolchain/temporal-binary';
import { resolveS3ServerBinary } from '../toolchain/s3-server-binary';
import { resolveTemporalImageConfig } from '../toolchain/temporal-image-config';
import { resolvePromtoolBinary } from '../toolchain/promtool-binary';
import { loadConfig } from '../config/env';
import { freePort } from './helpers/ports';
import { startPostgresServer, type PostgresServer } from './helpers/postgres-server';
import {
  startTestCluster,
  startTestDevServer,
  temporalProfiles,
  testClusterBinaries,
  type TemporalProfile,
} from './helpers/test-temporal';

/**
 * What the cluster profile runs when no file is named: runs and their lists, search attributes,
 * schedules, priority and fairness, where Temporal's PostgreSQL persistence and SQL visibility could differ from
 * the dev server's SQLite.
 */
export const CLUSTER_SUITE = [
  '/tasks-api.test.js',
  '/priority.test.js',
  '/node-classes.test.js',
  '/dags-api.test.js',
  '/pipeline-triggers.test.js',
  '/cost.test.js',
  '/web-ui-summaries.test.js',
  // Fair dispatch keeps its backlog in tables of its own (tasks_v2), which PostgreSQL's schema must have.
  '/fairness.test.js',
];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return testFiles(path);
      return entry.name.endsWith('.test.js') ? [path] : [];
    })
    .sort();
}

async function main(): Promise<number> {
  const config = loadConfig();
  const binary = await resolveTemporalBinary({ configuredPath: config.temporal.binary, cacheDir: config.cacheDir });
  // Before any server starts: a first build of the Pulumi CLI (or of the Temporal server) takes minutes and both cores.
  const pulumi = await resolvePulumiBinary({ configuredPath: config.pulumi.binary, cacheDir: config.cacheDir });
  process.stderr.write(`[capstan] Pulumi CLI (${pulumi.source}: ${pulumi.path})\n`);
  // Every profile needs them: the dev-server suite has a test of its own that starts a cluster.
  const clusterBinaries = await testClusterBinaries(config.cacheDir);
  const temporalImage = await resolveTemporalImageConfig(config.cacheDir);
  const s3Server = await resolveS3ServerBinary(config.cacheDir);
  // The dashboards test checks infra/prometheus with Prometheus's own tool.
  const promtool = await resolvePromtoolBinary(config.cacheDir);
  const profiles = temporalProfiles();
  const named = process.argv.slice(2);
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-test-'));
  let postgres: PostgresServer | undefined;
  try {
    let databaseUrl = process.env.CAPSTAN_TEST_DATABASE_URL;
    if (!databaseUrl) {
      postgres = startPostgresServer(await freePort());
      databaseUrl = postgres.url;
    }
    process.stderr.write(`[capstan] test PostgreSQL at ${databaseUrl}\n`);
    let worst = 0;
    for (const profile of profiles) {
      const files = profileFiles(profile, named, profiles.length > 1);
      if (files.length === 0) {
        // node --test with no file runs every test it finds: a filter that matches nothing must not.
        if (profiles.length > 1 && profile === 'cluster') continue;
        process.stderr.write(`[capstan] no test file matches ${named.join(' ')}\n`);
        return 1;
      }
      const temporal =
        profile === 'cluster'
          ? await startTestCluster(clusterBinaries, databaseUrl, scratch)
          : await startTestDevServer(binary.path, scratch);
      try {
        process.stderr.write(
          `[capstan] ${files.length} test files on the ${temporal.description} at ${temporal.address}\n`,
        );
        const code = await runFiles(files, {
          CAPSTAN_TEST_TEMPORAL_ADDRESS: temporal.address,
          CAPSTAN_TEST_TEMPORAL_BIN: binary.path,
          CAPSTAN_TEST_PULUMI_BIN: pulumi.path,
          CAPSTAN_TEMPORAL_SERVER_BIN: clusterBinaries.server,
          CAPSTAN_TEMPORAL_SQL_TOOL_BIN: clusterBinaries.sqlTool,
          CAPSTAN_TEMPORAL_CONFIG_TEMPLATE: temporalImage.template,
          CAPSTAN_DOCKERIZE_BIN: temporalImage.dockerize,
          CAPSTAN_S3_SERVER_BIN: s3Server,
          CAPSTAN_PROMTOOL_BIN: promtool,
          CAPSTAN_TEST_DATABASE_URL: databaseUrl,
        });
        worst = Math.max(worst, code);
      } finally {
        await temporal.stop();
      }
    }
    return worst;
  } finally {
    // Whatever failed (a PostgreSQL that would not start, a missing dist/), no server is left running.
    postgres?.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The files a profile runs: those the command line names (all when none), and on the cluster, when
 * it runs beside the dev server, only those of CLUSTER_SUITE among them.
 */
function profileFiles(profile: TemporalProfile, named: string[], besideDev: boolean): string[] {
  // Matched against the path below test/ (with a leading slash), never the clone's own folder name.
  const matches = (file: string, parts: string[]): boolean =>
    parts.some((part) => `/${relative(__dirname, file)}`.includes(part));
  const all = testFiles(__dirname).filter((f) => named.length === 0 || matches(f, named));
  if (profile === 'dev') return all;
  // Whole paths: `/priority.test.js` must not pull in `/unit/priority.test.js`.
  if (besideDev || named.length === 0) return all.filter((f) => CLUSTER_SUITE.includes(`/${relative(__dirname, f)}`));
  return all;
}

/** Runs the files one at a time with node's test runner; resolves with its exit code. */
function runFiles(files: string[], env: Record<string, string>): Promise<number> {
  return new Promise<number>((resolve) => {
    // One file at a time: several suites start worker processes, and the machine has two cores.
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    child.on('exit', (exitCode) => resolve(exitCode ?? 1));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
