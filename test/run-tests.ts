/**
 * The test command: obtains the Temporal CLI with the same bootstrap as `npm start`, runs one real
 * dev server and one real PostgreSQL server (unless CAPSTAN_TEST_DATABASE_URL names one) for the
 * whole suite, and runs every `*.test.js` with node's test runner against them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startDevServer } from '../cli/dev-server';
import { resolvePulumiBinary } from '../toolchain/pulumi-binary';
import { resolveTemporalBinary } from '../toolchain/temporal-binary';
import { loadConfig } from '../config/env';
import { freePort } from './helpers/ports';
import { startPostgresServer, type PostgresServer } from './helpers/postgres-server';

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
  // Before any server starts: a first build of the Pulumi CLI takes minutes and needs both cores.
  const pulumi = await resolvePulumiBinary({ configuredPath: config.pulumi.binary, cacheDir: config.cacheDir });
  process.stderr.write(`[capstan] Pulumi CLI (${pulumi.source}: ${pulumi.path})\n`);
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-test-'));
  const server = await startDevServer({
    binary: binary.path,
    dbFile: join(scratch, 'temporal.db'),
    logFile: join(scratch, 'temporal.log'),
    ip: '127.0.0.1',
    port: await freePort(),
    namespace: 'default',
  });
  process.stderr.write(`[capstan] test Temporal dev server at ${server.address} (${binary.source}: ${binary.path})\n`);
  let postgres: PostgresServer | undefined;
  try {
    let databaseUrl = process.env.CAPSTAN_TEST_DATABASE_URL;
    if (!databaseUrl) {
      postgres = startPostgresServer(await freePort());
      databaseUrl = postgres.url;
    }
    process.stderr.write(`[capstan] test PostgreSQL at ${databaseUrl}\n`);
    const filter = process.argv.slice(2);
    // Matched against the path below test/ (with a leading slash), never the clone's own folder name.
    const files = testFiles(__dirname).filter(
      (f) => filter.length === 0 || filter.some((part) => `/${relative(__dirname, f)}`.includes(part)),
    );
    if (files.length === 0) {
      // node --test with no file runs every test it finds: a filter that matches nothing must not.
      process.stderr.write(`[capstan] no test file matches ${filter.join(' ')}\n`);
      return 1;
    }
    return await new Promise<number>((resolve) => {
      // One file at a time: several suites start worker processes, and the machine has two cores.
      const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
        stdio: 'inherit',
        env: {
          ...process.env,
          CAPSTAN_TEST_TEMPORAL_ADDRESS: server.address,
          CAPSTAN_TEST_TEMPORAL_BIN: binary.path,
          CAPSTAN_TEST_PULUMI_BIN: pulumi.path,
          CAPSTAN_TEST_DATABASE_URL: databaseUrl,
        },
      });
      child.on('exit', (exitCode) => resolve(exitCode ?? 1));
    });
  } finally {
    // Whatever failed (a PostgreSQL that would not start, a missing dist/), no server is left running.
    await server.stop();
    postgres?.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
