/**
 * `npm run bench:logs`: what task logs cost at high volume: per line through the worker's AttemptLog into
 * PostgreSQL and the embedded database, and the memory of a worker process whose task prints 200 MB (BENCH_RSS_BYTES).
 * Report on stdout, progress on stderr.
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../cli/dev-server';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { loadNodeClasses } from '../config/node-classes';
import { openDatabase } from '../db/open';
import { startPostgresServer } from '../test/helpers/postgres-server';
import { resolveTemporalBinary, temporalVersion } from '../toolchain/temporal-binary';
import { withBenchEnv } from './lib/bench-env';
import { killLiveServers } from './lib/dev-server';
import { num, table } from './lib/format';
import { startEmbeddedProcess } from './lib/embedded-process';
import { measureLineCost, type LineCostResult } from './lib/line-cost';
import { pickPort } from './lib/ports';
import { procCpuSeconds, treeCpuSeconds } from './lib/proc';
import type { Outcome } from './lib/report';
import { intSetting, progressLogger } from './lib/settings';
import { installQuietRuntime } from './lib/workers';
import { measureWorkerRss, printCommand, type RssRun, type WorkerRssResult } from './lib/worker-rss';

const started = performance.now();
const log = progressLogger('bench:logs', started);
const MiB = 1024 * 1024;

async function attempt<T>(what: string, phase: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await phase() };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`${what} FAILED: ${error}`);
    return { ok: false, error };
  }
}

/** A database in another process, as a worker sees it, and how to stop it. */
interface Database {
  name: string;
  pool: Pool;
  /** CPU seconds the database's processes have used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** A throwaway PostgreSQL server (the Debian packages the tests use), fsync off as in the test suite. */
async function realPostgres(): Promise<Database> {
  const server = startPostgresServer(await pickPort(27300));
  const pool = await openDatabase(server.url, createLogger('bench-db', 'warn'));
  const { rows } = await pool.query<{ dir: string }>('SELECT current_setting($1) AS dir', ['data_directory']);
  // The first line of postmaster.pid is the server's pid; its backends are its children.
  const postmaster = Number(readFileSync(join(rows[0]!.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    name: 'PostgreSQL server',
    pool,
    cpuSeconds: () => treeCpuSeconds(postmaster),
    stop: async () => {
      await pool.end();
      server.remove();
    },
  };
}

/** The embedded database in its own process, as `npm start` runs it when no CAPSTAN_DATABASE_URL is given. */
async function embeddedPostgres(dir: string): Promise<Database> {
  const database = startEmbeddedProcess(dir, await pickPort(27310));
  const pool = await openDatabase(database.url, createLogger('bench-db', 'warn'));
  return {
    name: 'embedded (PGlite process)',
    pool,
    cpuSeconds: () => procCpuSeconds(database.pid),
    stop: async () => {
      await pool.end();
      await database.stop();
    },
  };
}

function lineCostBlock(name: string, results: Outcome<LineCostResult[]>): string[] {
  if (!results.ok) return [`-- ${name}: FAILED: ${results.error}`];
  return [
    `-- ${name}`,
    ...table([
      [
        'lines x bytes, limit',
        'write µs/line',
        'CPU µs/line',
        'db CPU µs/line',
        'feed s',
        'last line +ms',
        'rows',
        'lines kept',
        'lines cut',
        'body MB',
        'table MB',
        'table B/line kept',
        'RSS peak MiB',
      ],
      ...results.value.map((r) => [
        `${r.lines.toLocaleString('en')} x ${r.lineBytes} B, ${r.limitBytes / MiB} MiB`,
        num(r.writeUsPerLine, 3),
        num(r.cpuUsPerLine, 2),
        num(r.dbCpuUsPerLine, 2),
        num(r.feedMs / 1000, 2),
        num(r.lastLineMs, 0),
        String(r.rows),
        String(r.storedLines),
        String(r.cutLines),
        num(r.bodyBytes / 1e6, 1),
        num(r.relationBytes / 1e6, 1),
        num(r.relationBytes / Math.max(1, r.storedLines), 1),
        `${num(r.rssPeakMiB, 0)} (from ${num(r.rssBeforeMiB, 0)})`,
      ]),
    ]),
  ];
}

function rssRow(label: string, r: RssRun): string[] {
  return [
    label,
    num(r.ms / 1000, 2),
    num(r.workerCpuS, 2),
    num(r.dbCpuS, 2),
    num(r.rssBeforeMiB, 0),
    num(r.rssPeakMiB, 0),
    num(r.hwmMiB, 0),
    num(r.logEndedAfterMs, 0),
  ];
}

function rssBlock(res: Outcome<WorkerRssResult>, bytes: number): string[] {
  const lines = [
    `== 2. Worker memory: \`${printCommand(bytes)}\` (${(bytes / 2).toLocaleString('en')} lines) through a node-class worker process (dist/workers/node-class-worker.js), VmRSS sampled every 100 ms, VmHWM reset before each task; embedded database in its own process, as under npm start`,
  ];
  if (!res.ok) return [...lines, `FAILED: ${res.error}`];
  const r = res.value;
  const p = r.printed;
  return [
    ...lines,
    `worker idle after a warm-up task: ${num(r.idleRssMiB, 0)} MiB; CAPSTAN_LOG_MAX_BYTES ${r.limitBytes} (${r.limitBytes / MiB} MiB)`,
    ...table([
      ['task', 'run s', 'worker CPU s', 'db CPU s', 'RSS before MiB', 'RSS peak MiB', 'VmHWM MiB', 'log ended +ms'],
      rssRow('(b) ... > /dev/null', r.devNull),
      rssRow(`(a) prints ${bytes / 1e6} MB, log kept`, p),
    ]),
    `(a) vs (b): run ${num(p.ms / r.devNull.ms, 2)}x (${num((p.ms - r.devNull.ms) / 1000, 2)} s more), peak RSS +${num(p.rssPeakMiB - r.devNull.rssPeakMiB, 0)} MiB, worker CPU +${num(p.workerCpuS - r.devNull.workerCpuS, 2)} s = ${num(((p.workerCpuS - r.devNull.workerCpuS) * 1e6) / (bytes / 2), 3)} µs per line, database CPU +${num(p.dbCpuS - r.devNull.dbCpuS, 2)} s`,
    `(a) log: ${p.log.lines} lines / ${p.log.bytes} bytes printed; ${p.log.cutLines} lines / ${p.log.cutBytes} bytes cut; ${p.log.chunks} chunks holding ${p.log.storedBytes} bytes; line numbers jump at ${p.gap}`,
    `(a) first stored line ${JSON.stringify(p.firstLine)}; last two ${JSON.stringify(p.lastLines)}`,
  ];
}

async function main(): Promise<void> {
  const lines = intSetting('BENCH_LOG_LINES', 1_000_000);
  const rssBytes = intSetting('BENCH_RSS_BYTES', 200_000_000);
  installQuietRuntime();
  const base = loadConfig();
  const binary = await resolveTemporalBinary({ cacheDir: base.cacheDir });
  const nodeClasses = loadNodeClasses(base.nodeClassesFile);
  const general = nodeClasses.find((c) => c.name === 'general');
  if (!general) throw new Error(`node class "general" is not in ${base.nodeClassesFile}`);
  const cpuList = cpus();
  const header = [
    `capstan task-logs bench: ${platform()}/${arch()}, ${cpuList.length} cores (${cpuList[0]?.model.trim() ?? 'unknown CPU'}), node ${process.version}, ${temporalVersion(binary.path)}`,
    `settings: BENCH_LOG_LINES=${lines} BENCH_RSS_BYTES=${rssBytes}; default CAPSTAN_LOG_MAX_BYTES ${base.taskLogs.maxBytes}; load average at start ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  ].join('\n');
  log(header.replace('\n', '\n  '));
  const scratch = await mkdtemp(join(tmpdir(), 'capstan-bench-logs-'));
  const cleanup = (): void => rmSync(scratch, { recursive: true, force: true });
  process.once('SIGINT', () => {
    killLiveServers();
    cleanup();
    process.exit(130);
  });

  try {
    const cases = [60, 8].flatMap((lineBytes) =>
      [256 * MiB, base.taskLogs.maxBytes].map((limitBytes) => ({ lines, lineBytes, limitBytes })),
    );
    const perDatabase: Array<[string, Outcome<LineCostResult[]>]> = [];
    for (const open of [realPostgres, () => embeddedPostgres(join(scratch, 'pglite'))]) {
      let name = 'database';
      const result = await attempt('per-line cost', async () => {
        const db = await open();
        name = db.name;
        try {
          const out: LineCostResult[] = [];
          for (const c of cases) {
            log(`[${db.name}] ${c.lines} lines of ${c.lineBytes} B, limit ${c.limitBytes / MiB} MiB`);
            out.push(await measureLineCost(db.pool, c, () => db.cpuSeconds()));
          }
          return out;
        } finally {
          await db.stop();
        }
      });
      perDatabase.push([name, result]);
    }

    const rss = await attempt('worker RSS', () =>
      withBenchEnv(
        {
          binary: binary.path,
          label: 'logs-rss',
          dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG,
          portFrom: 27273,
          base,
          workspaceDir: scratch,
          nodeClass: general,
          nodeClasses,
          withRaw: false,
          inProcessNodeWorker: false,
          databaseProcess: true,
          log,
        },
        (env) => measureWorkerRss(env, join(scratch, 'worker-data'), rssBytes, log),
      ),
    );

    const report = [
      header,
      '',
      `== 1. Per line: AttemptLog driven directly with ${lines.toLocaleString('en')} lines in 64 KiB reads (one per event-loop turn, as from a pipe), one secret masked, database in another process`,
      'write = time inside AttemptLog.write; CPU = this process from first write to log closed (splitting, masking, statements, pg client); db CPU = the database processes meanwhile;',
      'last line = from the last write until close() returned (last chunk and end mark stored); table = pg_total_relation_size(task_log_chunks)',
      ...perDatabase.flatMap(([name, result]) => lineCostBlock(name, result)),
      '',
      ...rssBlock(rss, rssBytes),
      '',
      `total ${num((performance.now() - started) / 1000, 0)} s; load average at end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    ];
    process.stdout.write(`${report.join('\n')}\n`);
  } finally {
    cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killLiveServers();
    process.exit(1);
  },
);
