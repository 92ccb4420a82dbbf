/**
 * `npm run bench:costs`: how fast the cost API answers a dashboard over a week of 10,000 runs
 * (about 31,000 metered attempts), against the raw SQL aggregate of the same rows measured in the
 * same run. The API path is the whole request: HTTP, token check, validation, the priced SQL
 * (joins to runs and class prices, half-up rounding per attempt), JSON. Report on stdout.
 */
import { configKeyFrom } from '../db/stores/stack-config-secrets';
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { shippedPrograms } from '../infra/programs/registry';
import { createApp } from '../api/app';
import { createToken } from '../db/stores/token-store';
import { apiDepsFromConfig } from '../api/services/deps';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { loadNodeClasses } from '../config/node-classes';
import { startEmbeddedDatabase } from '../db/embedded';
import { openDatabase } from '../db/open';
import { startPostgresServer, type PostgresServer } from '../test/helpers/postgres-server';
import { freePort } from '../test/helpers/ports';
import { num, ratio, table } from './lib/format';
import { summarize } from './lib/stats';

const RUNS = Number(process.env.BENCH_COST_RUNS ?? 10_000);
const REPS = Number(process.env.BENCH_COST_REPS ?? 30);

/** 10,000 runs spread over the last 7 days: 3 attempts each (a build, a test, and a retry of the test for one run in ten, else a deploy). */
async function seed(db: Pool, to: Date): Promise<number> {
  await db.query(
    `INSERT INTO runs (run_id, kind, name, labels, started_by, started_at)
     SELECT 'bench-' || i, 'dag', 'pipeline-' || (i % 40),
       jsonb_build_object('team', 'team-' || (i % 5), 'project', 'project-' || (i % 12), 'environment', (ARRAY['dev', 'staging', 'prod'])[1 + i % 3]),
       'bench', $2::timestamptz - ((i * 60.48) || ' seconds')::interval
     FROM generate_series(1, $1::int) AS i`,
    [RUNS, to],
  );
  const { rowCount } = await db.query(
    `INSERT INTO task_attempts (run_id, task_id, attempt, run_kind, node_class, worker, activity_id, labels, started_at, last_seen_at, ended_at, duration_ms, outcome)
     SELECT r.run_id, t.task_id, t.attempt, 'dag', CASE WHEN t.task_id = 'test' THEN 'highmem' ELSE 'general' END, 'w-' || (r.n % 7), '1', '{}'::jsonb,
       r.started_at, r.started_at + interval '1 minute', r.started_at + interval '1 minute', 30000 + (r.n * 7919) % 600000, t.outcome
     FROM (SELECT run_id, started_at, substr(run_id, 7)::int AS n FROM runs WHERE started_by = 'bench') r
     CROSS JOIN LATERAL (VALUES ('build', 1, 'succeeded'), ('test', 1, CASE WHEN r.n % 10 = 0 THEN 'failed' ELSE 'succeeded' END),
       (CASE WHEN r.n % 10 = 0 THEN 'test' ELSE 'deploy' END, CASE WHEN r.n % 10 = 0 THEN 2 ELSE 1 END, 'succeeded')) AS t(task_id, attempt, outcome)`,
  );
  await db.query('ANALYZE runs; ANALYZE task_attempts');
  return rowCount ?? 0;
}

async function time(reps: number, work: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await work();
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function openBenchDatabase(scratch: string): Promise<{ url: string; kind: string; stop(): Promise<void> }> {
  try {
    const server: PostgresServer = startPostgresServer(await freePort());
    return { url: server.url, kind: 'PostgreSQL server (initdb, loopback)', stop: async () => server.remove() };
  } catch (err) {
    process.stderr.write(
      `[bench:costs] no PostgreSQL server binaries (${(err as Error).message.slice(0, 80)}…); using the embedded PGlite\n`,
    );
    const embedded = await startEmbeddedDatabase(join(scratch, 'pglite'), await freePort());
    return { url: embedded.url, kind: 'embedded PGlite', stop: () => embedded.stop() };
  }
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-bench-costs-'));
  const database = await openBenchDatabase(scratch);
  const db = await openDatabase(database.url, createLogger('bench-db', 'warn'));
  const config = loadConfig({ ...process.env, CAPSTAN_DATABASE_URL: database.url });
  const nodeClasses = loadNodeClasses(config.nodeClassesFile);
  // The cost routes measured here never call Temporal; a lazy connection is never opened.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  let server: Server | undefined;
  try {
    const to = new Date();
    const from = new Date(to.getTime() - 7 * 86_400_000);
    const t0 = performance.now();
    const attempts = await seed(db, to);
    process.stderr.write(
      `[bench:costs] seeded ${RUNS} runs, ${attempts} attempts in ${num(performance.now() - t0, 0)} ms\n`,
    );
    const { secret } = await createToken(db, { principal: 'bench', role: 'viewer', createdBy: 'bench' });
    const deps = {
      ...apiDepsFromConfig(config, {
        client,
        db,
        nodeClasses,
        programs: shippedPrograms,
        stackConfigKey: configKeyFrom('bench: no stacks'),
      }),
      auth: { ratePerSecond: 1_000_000, burst: 1_000_000 },
    };
    server = createApp(deps, createLogger('bench-api', 'silent')).listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const window = `from=${from.toISOString()}&to=${to.toISOString()}`;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${secret}` } });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.text();
    };
    // The baseline: the same rows summed per group by plain SQL, no pricing, no joins, no HTTP.
    const raw = (keySql: string) => () =>
      db.query(
        `SELECT ${keySql} AS key, count(*), sum(duration_ms) FROM task_attempts WHERE started_at >= $1 AND started_at < $2 GROUP BY 1`,
        [from, to],
      );
    const rawSamples = await time(REPS, raw('node_class'));
    const rawLabel = await time(REPS, raw(`labels ->> 'team'`));
    const cases: Array<[string, string]> = [
      ['GET /v1/costs?groupBy=nodeClass', `/v1/costs?groupBy=nodeClass&${window}`],
      ['GET /v1/costs?groupBy=label:team', `/v1/costs?groupBy=label:team&${window}`],
      ['GET /v1/costs?groupBy=name', `/v1/costs?groupBy=name&${window}`],
      ['GET /v1/costs?groupBy=day', `/v1/costs?groupBy=day&${window}`],
      ['GET /v1/costs?groupBy=run (10,000 groups)', `/v1/costs?groupBy=run&${window}`],
      ['GET /v1/costs/chart.svg?groupBy=label:team', `/v1/costs/chart.svg?groupBy=label:team&${window}`],
    ];
    const rawP50 = summarize(rawSamples).p50;
    const rows: string[][] = [
      ['query (one week, ' + `${RUNS} runs, ${attempts} attempts)`, 'p50 ms', 'p95 ms', 'max ms', 'vs raw SQL p50'],
    ];
    rows.push([
      'raw SQL: count+sum by node_class (baseline)',
      num(rawP50),
      num(summarize(rawSamples).p95),
      num(summarize(rawSamples).max),
      'x1.00',
    ]);
    rows.push([
      'raw SQL: count+sum by labels->>team',
      num(summarize(rawLabel).p50),
      num(summarize(rawLabel).p95),
      num(summarize(rawLabel).max),
      ratio(summarize(rawLabel).p50, rawP50),
    ]);
    for (const [label, path] of cases) {
      const s = summarize(await time(REPS, () => get(path)));
      rows.push([label, num(s.p50), num(s.p95), num(s.max), ratio(s.p50, rawP50)]);
    }
    const lines = [
      `bench:costs — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
      `database: ${database.kind}; ${REPS} timed requests per line after 3 warm-ups, sequential`,
      '',
      ...table(rows),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (server) await new Promise((r) => server!.close(r));
    await db.end();
    await database.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:costs failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
