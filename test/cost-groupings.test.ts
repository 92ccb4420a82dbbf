/**
 * `GET /v1/costs` against an independent computation: every grouping, alone, filtered by node class and with the
 * daily series, over attempts built to catch rounding and overflow mistakes (exact halves, a 104-day attempt at a
 * price whose product passes a bigint), open attempts, attempts outside the window, and runs with no record.
 * Each attempt costs duration × price / 1 h rounded half up on its own (docs/costs.md), computed here in BigInt.
 */
import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Pool } from 'pg';
import { createApp } from '../api/app';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/open';
import { createToken } from '../db/stores/token-store';
import { createTestDatabase } from './helpers/database';
import { offlineApiDeps } from './helpers/offline-api-deps';

const DAY = 86_400_000;
const FROM = Date.parse('2026-03-01T00:00:00Z');
const TO = FROM + 7 * DAY;
/** µ$ per hour: a = $0.10; b = $1,234.567891 (a 104-day attempt overflows bigint before division); c has no price. */
const PRICES: Record<string, bigint> = { a: 100_000n, b: 1_234_567_891n };
const CLASSES = [
  { name: 'a', concurrency: 1, pricePerHour: 0.1, labels: {} },
  { name: 'b', concurrency: 1, pricePerHour: 1234.567891, labels: {} },
];

interface Run {
  id: string;
  kind: string;
  name: string | null;
  labels: Record<string, string>;
}
interface Attempt {
  run: string;
  kind: string;
  task: string;
  attempt: number;
  nodeClass: string;
  labels: Record<string, string>;
  startedAt: number;
  durationMs: number | null;
  outcome: string;
}

const runs: Run[] = Array.from({ length: 12 }, (_, i): Run => ({
  id: `r${i}`,
  kind: i % 3 === 0 ? 'pipeline' : 'dag',
  name: i % 4 === 3 ? null : `job-${i % 5}`,
  labels: i % 5 === 4 ? {} : { team: `t${i % 3}`, env: i % 2 === 0 ? 'prod' : 'dev' },
}));
// r12 has attempts but no run record: its name is "(unnamed dag)" and its labels only its own.
const attempts: Attempt[] = [];
for (let i = 0; i < 240; i++) {
  const run = i % 13 === 12 ? { id: 'r12', kind: 'dag' } : runs[i % 12]!;
  attempts.push({
    run: run.id,
    kind: run.kind,
    task: `t${i}`,
    attempt: 1,
    nodeClass: ['a', 'b', 'c'][i % 3]!,
    labels: i % 7 === 0 ? { team: 'override' } : {},
    // Spread over the window and a day either side (those outside must not count), some on midnight exactly.
    startedAt: FROM - DAY + Math.floor((i * 9 * DAY) / 240) + (i % 11 === 0 ? 0 : 1234),
    // 18 ms at $0.10/h is exactly half a micro-dollar (rounds up), 17 ms is less (rounds down).
    durationMs: i % 17 === 0 ? null : [18, 17, 54, 3_600_000, 1_799_999, 123_457 * i][i % 6]!,
    outcome: ['succeeded', 'succeeded', 'failed', 'succeeded', 'lost', 'timed_out', 'cancelled'][i % 7]!,
  });
}
attempts.push({
  run: 'r1',
  kind: 'dag',
  task: 'long',
  attempt: 1,
  nodeClass: 'b',
  labels: {},
  startedAt: FROM + 3 * DAY,
  durationMs: 9_000_000_000,
  outcome: 'succeeded',
});

function costOf(a: Attempt): bigint {
  // The documented rule, written as docs/costs.md says it, not as the SQL does.
  return (BigInt(a.durationMs!) * (PRICES[a.nodeClass] ?? 0n) * 2n + 3_600_000n) / 7_200_000n;
}

function keyOf(a: Attempt, groupBy: string): string {
  const run = runs.find((r) => r.id === a.run);
  if (groupBy.startsWith('label:')) {
    const k = groupBy.slice(6);
    return a.labels[k] ?? run?.labels[k] ?? '(none)';
  }
  if (groupBy === 'name') return run?.name ?? `(unnamed ${a.kind})`;
  if (groupBy === 'day') return new Date(a.startedAt).toISOString().slice(0, 10);
  return { nodeClass: a.nodeClass, run: a.run, kind: a.kind }[groupBy]!;
}

interface Expected {
  key: string;
  attempts: number;
  failedAttempts: number;
  ms: number;
  computeMicros: number;
  wasteMicros: number;
  totalMicros: number;
}

function expected(groupBy: string, nodeClass?: string, day?: string): Map<string, Expected> {
  const out = new Map<string, { attempts: number; failed: number; ms: bigint; compute: bigint; waste: bigint }>();
  for (const a of attempts) {
    if (a.durationMs === null || a.startedAt < FROM || a.startedAt >= TO) continue;
    if (nodeClass !== undefined && a.nodeClass !== nodeClass) continue;
    if (day !== undefined && new Date(a.startedAt).toISOString().slice(0, 10) !== day) continue;
    const key = keyOf(a, groupBy);
    const g = out.get(key) ?? { attempts: 0, failed: 0, ms: 0n, compute: 0n, waste: 0n };
    const ok = a.outcome === 'succeeded';
    out.set(key, {
      attempts: g.attempts + 1,
      failed: g.failed + (ok ? 0 : 1),
      ms: g.ms + BigInt(a.durationMs),
      compute: g.compute + (ok ? costOf(a) : 0n),
      waste: g.waste + (ok ? 0n : costOf(a)),
    });
  }
  return new Map(
    [...out].map(([key, g]) => [
      key,
      {
        key,
        attempts: g.attempts,
        failedAttempts: g.failed,
        ms: Number(g.ms),
        computeMicros: Number(g.compute),
        wasteMicros: Number(g.waste),
        totalMicros: Number(g.compute + g.waste),
      },
    ]),
  );
}

const GROUPINGS = ['nodeClass', 'run', 'name', 'kind', 'day', 'label:team', 'label:env', 'label:nothing'];

let server: Server;
let baseUrl: string;
let db: Pool;
let drop: () => Promise<void>;
let auth: Record<string, string>;
before(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = await openDatabase(database.url, createLogger('test-db', 'silent'));
  auth = {
    authorization: `Bearer ${(await createToken(db, { principal: 'v', role: 'viewer', createdBy: 'test' })).secret}`,
  };
  for (const r of runs) {
    await db.query(`INSERT INTO runs (run_id, kind, name, labels, started_by) VALUES ($1, $2, $3, $4, 'test')`, [
      r.id,
      r.kind,
      r.name,
      r.labels,
    ]);
  }
  for (const a of attempts) {
    const started = new Date(a.startedAt);
    await db.query(
      `INSERT INTO task_attempts (run_id, task_id, attempt, run_kind, node_class, worker, activity_id, labels, started_at,
         last_seen_at, ended_at, duration_ms, outcome)
       VALUES ($1, $2, $3, $4, $5, 'w', '1', $6, $7, $7, $8, $9, $10)`,
      [
        a.run,
        a.task,
        a.attempt,
        a.kind,
        a.nodeClass,
        a.labels,
        started,
        a.durationMs === null ? null : started,
        a.durationMs,
        a.durationMs === null ? 'running' : a.outcome,
      ],
    );
  }
  const deps = offlineApiDeps({
    client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    db,
    nodeClass: 'a',
    taskQueuePrefix: 'costs',
  });
  server = createApp({ ...deps, nodeClasses: CLASSES }, createLogger('api-test', 'silent')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server?.close(r));
  await db?.end();
  await drop?.();
});

async function get(query: string): Promise<{ status: number; body: any }> {
  const window = `from=${new Date(FROM).toISOString()}&to=${new Date(TO).toISOString()}`;
  const response = await fetch(`${baseUrl}/v1/costs?${query}&${window}`, { headers: auth });
  return { status: response.status, body: await response.json() };
}

function figures(g: any): Expected {
  const { key, attempts, failedAttempts, ms, computeMicros, wasteMicros, totalMicros } = g;
  return { key, attempts, failedAttempts, ms, computeMicros, wasteMicros, totalMicros };
}

function assertGroups(body: any, want: Map<string, Expected>, what: string): void {
  const order = [...want.values()].sort((x, y) => y.totalMicros - x.totalMicros || x.key.localeCompare(y.key));
  assert.deepEqual(body.groups.map(figures), order, what);
  const sum = (pick: (e: Expected) => number) => order.reduce((s, e) => s + pick(e), 0);
  assert.deepEqual(
    figures({ ...body.totals, key: 'total' }),
    {
      key: 'total',
      attempts: sum((e) => e.attempts),
      failedAttempts: sum((e) => e.failedAttempts),
      ms: sum((e) => e.ms),
      computeMicros: sum((e) => e.computeMicros),
      wasteMicros: sum((e) => e.wasteMicros),
      totalMicros: sum((e) => e.totalMicros),
    },
    `${what}: totals`,
  );
}

describe('GET /v1/costs matches the hand computation', () => {
  test('the seeded attempts reach both rounding paths and an exact half', () => {
    const b = attempts.find((a) => a.task === 'long')!;
    assert.ok(BigInt(b.durationMs!) * PRICES.b! > 2n ** 63n - 1n, 'the long attempt overflows a bigint product');
    assert.equal(costOf({ ...b, durationMs: 18, nodeClass: 'a' }), 1n);
    assert.equal(costOf({ ...b, durationMs: 17, nodeClass: 'a' }), 0n);
  });

  for (const groupBy of GROUPINGS) {
    test(`groupBy=${groupBy}: alone, by node class, and with the daily series`, async () => {
      const plain = await get(`groupBy=${groupBy}`);
      assert.equal(plain.status, 200, JSON.stringify(plain.body));
      assertGroups(plain.body, expected(groupBy), groupBy);
      for (const nodeClass of ['a', 'b', 'c', 'none']) {
        const filtered = await get(`groupBy=${groupBy}&nodeClass=${nodeClass}`);
        assertGroups(filtered.body, expected(groupBy, nodeClass), `${groupBy} nodeClass=${nodeClass}`);
      }
      const withSeries = await get(`groupBy=${groupBy}&series=day`);
      assertGroups(withSeries.body, expected(groupBy), `${groupBy} series=day`);
      const days = Array.from({ length: 7 }, (_, i) => new Date(FROM + i * DAY).toISOString().slice(0, 10));
      assert.deepEqual(withSeries.body.days, days);
      const perDay = days.map((d) => expected(groupBy, undefined, d));
      for (const series of withSeries.body.series) {
        if (series.name.startsWith('other (')) continue;
        assert.deepEqual(
          series.values,
          perDay.map((m) => m.get(series.name)?.totalMicros ?? 0),
          `${groupBy} series ${series.name}`,
        );
      }
      assert.deepEqual(
        days.map((_, i) => withSeries.body.series.reduce((s: number, x: any) => s + x.values[i], 0)),
        perDay.map((m) => [...m.values()].reduce((s, e) => s + e.totalMicros, 0)),
        `${groupBy}: every day's series add up to the day's cost`,
      );
    });
  }

  test('bad input is refused naming the field', async () => {
    for (const [query, field] of [
      ['groupBy=color', 'groupBy'],
      ['groupBy=label:', 'groupBy'],
      ['groupBy=run&series=week', 'series'],
      ['groupBy=run&nodeClass=', 'nodeClass'],
    ] as const) {
      const r = await get(query);
      assert.equal(r.status, 400, query);
      assert.match(JSON.stringify(r.body.error.details), new RegExp(field), query);
    }
  });
});
