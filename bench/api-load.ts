/**
 * `npm run bench:api`: the API under an open-loop load (requests at a fixed rate whatever the answers),
 * on the embedded database and on a PostgreSQL server, with a baseline at the same rate in the same run.
 * Report on stdout, progress on stderr.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../cli/dev-server';
import { loadConfig } from '../config/env';
import { loadNodeClasses } from '../config/node-classes';
import { resolveTemporalBinary, temporalVersion } from '../toolchain/temporal-binary';
import { startPostgresServer, type PostgresServer } from '../test/helpers/postgres-server';
import { startApiProcess } from './lib/ceiling-api';
import { writeClassesFile } from './lib/classes-file';
import { benchApiOpenLoop, type ApiOpenLoopResult } from './lib/api-open-loop';
import { withBenchEnv } from './lib/bench-env';
import { killLiveServers } from './lib/dev-server';
import { num, table } from './lib/format';
import { pickPort } from './lib/ports';
import { intSetting, progressLogger } from './lib/settings';
import { installQuietRuntime } from './lib/workers';

const started = performance.now();
const log = progressLogger('bench:api', started);

function render(label: string, result: ApiOpenLoopResult): string[] {
  const rows = [['phase', 'rate', 'achieved', 'p50', 'p90', 'p99', 'max', 'errors', 'send lag', 'spans (mean/p99 ms)']];
  for (const { name, result: r } of result.phases) {
    const spans = Object.entries(r.spans)
      .map(([k, s]) => `${k} ${num(s.mean)}/${num(s.p99)}${s.n < r.latency.n ? ` (${s.n})` : ''}`)
      .join(', ');
    const errors = r.errors === 0 ? '0' : `${r.errors} ${JSON.stringify(r.outcomes)}`;
    rows.push([
      name,
      `${r.targetRate}/s`,
      `${num(r.achievedRate)}/s`,
      num(r.latency.p50),
      num(r.latency.p90),
      num(r.latency.p99),
      num(r.latency.max),
      errors,
      num(r.maxSendLagMs),
      spans,
    ]);
  }
  // Second by second, so a stall of a few seconds (a GC, a schedule's run, a checkpoint) is told from a slow phase.
  const timelines = result.phases
    .filter(({ name }) => name.startsWith('POST') || name.startsWith('GET /v1'))
    .map(({ name, result: r }) => `  ${name} at ${r.targetRate}/s: ${r.p90BySecond.map((x) => num(x, 0)).join(' ')}`);
  return [
    `## ${label}: load average ${result.loadAtStart} at start, ${result.loadAtEnd} at end (latency ms, from the scheduled send)`,
    ...table(rows),
    'p90 latency (ms) of the requests due in each second of the phase:',
    ...timelines,
    '',
  ];
}

async function main(): Promise<void> {
  const seconds = intSetting('BENCH_API_SECONDS', 20);
  const postRate = intSetting('BENCH_POST_RATE', 50);
  const getRate = intSetting('BENCH_GET_RATE', 200);
  const sustainedPostRate =
    process.env.BENCH_POST_SUSTAINED_RATE === '0' ? 0 : intSetting('BENCH_POST_SUSTAINED_RATE', 20);
  const databases = (process.env.BENCH_API_DATABASES ?? 'embedded,postgres').split(',').filter((d) => d !== '');
  // As under `npm start`, the workers run in processes of their own by default: in this one their activities
  // and workflow activations would share the API's event loop, and /healthz beside the POSTs took seconds.
  const workers = process.env.BENCH_API_WORKERS ?? 'processes';
  // The API itself in a process of its own by default, on its shipped settings, as `npm start` runs it: in this one
  // it shared its event loop with the load generator, whose own lag then counted as the API's latency.
  const apiProcess = (process.env.BENCH_API_PROCESS ?? '1') !== '0';
  if (workers !== 'processes' && workers !== 'inline')
    throw new Error(`BENCH_API_WORKERS: "${workers}" is neither processes nor inline`);
  installQuietRuntime();
  const base = loadConfig();
  const binary = await resolveTemporalBinary({ cacheDir: base.cacheDir });
  const nodeClasses = loadNodeClasses(base.nodeClassesFile);
  const general = nodeClasses.find((c) => c.name === 'general');
  if (!general) throw new Error(`node class "general" is not in ${base.nodeClassesFile}`);
  const header = [
    `capstan API open-loop bench: ${platform()}/${arch()}, ${cpus().length} cores, node ${process.version}, ${temporalVersion(binary.path)}`,
    `settings: BENCH_API_SECONDS=${seconds} BENCH_POST_RATE=${postRate} BENCH_POST_SUSTAINED_RATE=${sustainedPostRate} BENCH_GET_RATE=${getRate} BENCH_API_DATABASES=${databases.join(',')} BENCH_API_WORKERS=${workers} BENCH_API_PROCESS=${apiProcess ? 1 : 0}; ${apiProcess ? 'the API (dist/api/server.js, shipped settings; on the embedded database as under npm start, rate limits in memory and found tokens reused 2 s; on PostgreSQL as with several API processes, rate limits in the database and every token looked up) in a process of its own; load generator and raw workers in this process' : 'API (before/after apps), load generator and raw workers in this process'}; ${workers === 'processes' ? 'the orchestrator, the node-class worker and' : 'Capstan workers in this process too;'} the embedded database in ${workers === 'processes' ? 'processes of their own' : 'its own process'}`,
    `load average (1/5/15 min) at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  ];
  log(header.join('\n  '));
  const workspaceDir = await mkdtemp(join(tmpdir(), 'capstan-bench-api-'));
  let postgres: PostgresServer | undefined;
  const cleanup = (): void => {
    postgres?.remove();
    rmSync(workspaceDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    killLiveServers();
    cleanup();
    process.exit(130);
  });
  const out: string[] = [...header, ''];
  try {
    for (const [i, database] of databases.entries()) {
      if (database !== 'embedded' && database !== 'postgres')
        throw new Error(`BENCH_API_DATABASES: "${database}" is neither embedded nor postgres`);
      if (database === 'postgres') postgres = startPostgresServer(await pickPort(27870));
      const result = await withBenchEnv(
        {
          binary: binary.path,
          label: database,
          dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG,
          portFrom: 27700 + i * 20,
          base,
          workspaceDir,
          nodeClass: general,
          nodeClasses,
          withRaw: true,
          databaseProcess: true,
          orchestratorProcess: workers === 'processes',
          nodeWorkerProcess: workers === 'processes',
          ...(postgres && database === 'postgres' ? { databaseUrl: postgres.url } : {}),
          log,
        },
        async (env) => {
          if (!apiProcess) return benchApiOpenLoop(env, { postRate, sustainedPostRate, getRate, seconds, log });
          const api = await startApiProcess(
            env.config,
            writeClassesFile(join(workspaceDir, `api-node-classes-${database}.json`), nodeClasses),
            join(workspaceDir, `api-data-${database}`),
            join(workspaceDir, `api-${database}.log`),
            {
              CAPSTAN_API_RATE_LIMIT_STORE: database === 'embedded' ? 'memory' : 'database',
              CAPSTAN_API_TOKEN_CACHE_MS: database === 'embedded' ? '2000' : '0',
            },
          );
          try {
            return await benchApiOpenLoop(
              env,
              { postRate, sustainedPostRate, getRate, seconds, log },
              { kind: 'process', ...api },
            );
          } finally {
            await api.stop();
          }
        },
      );
      out.push(...render(database === 'embedded' ? 'embedded database (PGlite)' : 'PostgreSQL server', result));
    }
    out.push(`total ${num((performance.now() - started) / 1000)} s`);
    process.stdout.write(`${out.join('\n')}\n`);
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
