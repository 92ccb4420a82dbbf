/**
 * `npm run bench:costs`: how fast the cost API answers a dashboard over a week of 10,000 runs (about 31,000
 * metered attempts). Every grouping `GET /v1/costs` accepts, alone, filtered by node class, with the daily series,
 * and as `chart.svg`, each against the raw SQL aggregate of the same rows measured in the same run, interleaved
 * request by request. The API path is the whole request: HTTP, token check, validation, the priced SQL (half-up
 * rounding per attempt), JSON. The `Server-Timing` spans say where the request's time went. Report on stdout.
 *
 * BENCH_COST_DATABASE=server (default, falls back to PGlite without server binaries) | pglite (the embedded
 * default, in a process of its own as `npm start` runs it); BENCH_COST_RUNS, BENCH_COST_REPS;
 * BENCH_COST_ONLY=<regex> keeps the lines whose label matches; BENCH_COST_EXPLAIN=1 prints EXPLAIN (ANALYZE, BUFFERS) of the priced and the raw query of each grouping.
 */
import { configKeyFrom } from '../db/stores/stack-config-secrets';
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { shippedPrograms } from '../infra/programs/registry';
import { createApp } from '../api/app';
import { createToken } from '../db/stores/token-store';
import { apiDepsFromConfig } from '../api/services/deps';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { loadNodeClasses } from '../config/node-classes';
import { openDatabase } from '../db/open';
import { startPostgresServer } from '../test/helpers/postgres-server';
import { freePort } from '../test/helpers/ports';
import { costCases, type CostCase } from './lib/cost-cases';
import { explainCosts } from './lib/cost-explain';
import { seedCostWeek } from './lib/cost-seed';
import { startEmbeddedProcess } from './lib/embedded-process';
import { num, ratio, table } from './lib/format';
import { summarize } from './lib/stats';

const RUNS = Number(process.env.BENCH_COST_RUNS ?? 10_000);
const REPS = Number(process.env.BENCH_COST_REPS ?? 30);
const WARMUPS = 3;
const SPANS = ['token', 'cost-sql', 'cost-render'];

async function openBenchDatabase(scratch: string): Promise<{ url: string; kind: string; stop(): Promise<void> }> {
  if (process.env.BENCH_COST_DATABASE !== 'pglite') {
    try {
      const server = startPostgresServer(await freePort());
      return { url: server.url, kind: 'PostgreSQL server (initdb, loopback)', stop: async () => server.remove() };
    } catch (err) {
      process.stderr.write(
        `[bench:costs] no PostgreSQL server binaries (${(err as Error).message.slice(0, 80)}…); using the embedded PGlite\n`,
      );
    }
  }
  const embedded = startEmbeddedProcess(join(scratch, 'pglite'), await freePort());
  return {
    url: embedded.url,
    kind: 'embedded PGlite (own process, as npm start runs it)',
    stop: () => embedded.stop(),
  };
}

/** The spans of one `Server-Timing` header, by name. */
function spansOf(header: string | null): Map<string, number> {
  const spans = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().split(';');
    const dur = params.find((p) => p.startsWith('dur='));
    if (name && dur) spans.set(name, (spans.get(name) ?? 0) + Number(dur.slice(4)));
  }
  return spans;
}

interface Measured {
  api: number[];
  raw: number[];
  spans: Map<string, number[]>;
  bytes: number;
}

/** Times `reps` API requests and raw queries of one case, alternating which goes first, after warm-ups of both. */
async function measure(
  c: CostCase,
  get: (path: string) => Promise<{ body: string; timing: string | null }>,
  raw: () => Promise<unknown>,
): Promise<Measured> {
  const m: Measured = { api: [], raw: [], spans: new Map(), bytes: 0 };
  for (let i = 0; i < WARMUPS; i++) {
    await get(c.path);
    await raw();
  }
  const api = async () => {
    const t0 = performance.now();
    const { body, timing } = await get(c.path);
    m.api.push(performance.now() - t0);
    m.bytes = body.length;
    for (const [name, ms] of spansOf(timing)) m.spans.set(name, [...(m.spans.get(name) ?? []), ms]);
  };
  const base = async () => {
    const t0 = performance.now();
    await raw();
    m.raw.push(performance.now() - t0);
  };
  for (let i = 0; i < REPS; i++) {
    if (i % 2 === 0) await api().then(base);
    else await base().then(api);
  }
  return m;
}

async function main(): Promise<void> {
  const loadStart = loadavg();
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-bench-costs-'));
  const database = await openBenchDatabase(scratch);
  let db: Pool | undefined;
  let server: Server | undefined;
  try {
    db = await openDatabase(database.url, createLogger('bench-db', 'warn'));
    const pool = db;
    const config = loadConfig({ ...process.env, CAPSTAN_DATABASE_URL: database.url });
    const nodeClasses = loadNodeClasses(config.nodeClassesFile);
    // The cost routes measured here never call Temporal; a lazy connection is never opened.
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const to = new Date();
    const from = new Date(to.getTime() - 7 * 86_400_000);
    const t0 = performance.now();
    const attempts = await seedCostWeek(pool, RUNS, to);
    process.stderr.write(
      `[bench:costs] seeded ${RUNS} runs, ${attempts} attempts in ${num(performance.now() - t0, 0)} ms\n`,
    );
    const { secret } = await createToken(pool, { principal: 'bench', role: 'viewer', createdBy: 'bench' });
    const deps = {
      ...apiDepsFromConfig(config, {
        client,
        db: pool,
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
      const response = await fetch(`${base}${path}&${window}`, { headers: { authorization: `Bearer ${secret}` } });
      const body = await response.text();
      if (!response.ok) throw new Error(`${path}: ${response.status} ${body}`);
      return { body, timing: response.headers.get('server-timing') };
    };
    if (process.env.BENCH_COST_EXPLAIN === '1') {
      process.stdout.write(await explainCosts(pool, nodeClasses, { from, to }));
    }
    const rows: string[][] = [
      [
        `one week, ${RUNS} runs, ${attempts} attempts`,
        'API p50',
        'API p95',
        'raw p50',
        'raw p95',
        'API/raw p50',
        ...SPANS.map((s) => `${s} p50`),
        'KiB',
      ],
    ];
    const ratios: number[] = [];
    const only = process.env.BENCH_COST_ONLY === undefined ? undefined : new RegExp(process.env.BENCH_COST_ONLY);
    for (const c of costCases().filter((x) => only === undefined || only.test(x.label))) {
      const m = await measure(c, get, () => pool.query(c.raw.sql, [from, to, ...c.raw.params]));
      const a = summarize(m.api);
      const r = summarize(m.raw);
      ratios.push(a.p50 / r.p50);
      rows.push([
        c.label,
        num(a.p50),
        num(a.p95),
        num(r.p50),
        num(r.p95),
        ratio(a.p50, r.p50),
        ...SPANS.map((s) => num(summarize(m.spans.get(s) ?? []).p50)),
        num(m.bytes / 1024, 0),
      ]);
    }
    const loadEnd = loadavg();
    const worst = Math.max(...ratios);
    const lines = [
      `bench:costs — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
      `database: ${database.kind}; ${REPS} timed requests per line after ${WARMUPS} warm-ups, sequential, each beside its raw SQL (order alternating)`,
      `load average at start ${loadStart.map((l) => l.toFixed(2)).join(' ')}, at end ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`,
      'ms; raw = the same rows grouped by the same key (count, sum of durations) through the same pool, no pricing, no HTTP;',
      'spans: Server-Timing of the API (token check, priced SQL, JSON/SVG rendering)',
      '',
      ...table(rows),
      '',
      `worst API/raw p50: x${worst.toFixed(2)} (goal <= x3.00)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (server) await new Promise((r) => server!.close(r));
    await db?.end();
    await database.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:costs failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
