/**
 * `npm run bench:overhead` (the first part of `npm run bench`): what a Capstan task costs on top of raw Temporal, whether one task-queue partition
 * changes that, and how the API holds up under concurrent clients. Report on stdout, progress on stderr.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../cli/dev-server';
import { resolveTemporalBinary, temporalVersion } from '../toolchain/temporal-binary';
import { loadConfig } from '../config/env';
import { loadNodeClasses } from '../config/node-classes';
import { benchApi } from './lib/api-load';
import { withBenchEnv, type BenchEnvOptions } from './lib/bench-env';
import { killLiveServers } from './lib/dev-server';
import { measureOverhead, NOOP_SPEC } from './lib/overhead';
import { measureLogOverhead } from './lib/log-overhead';
import { taskLogDeps } from '../workers/create-worker';
import { createLogger } from '../config/logger';
import { renderReport, type BenchResults, type Outcome } from './lib/report';
import { measureActivityBody, measureShellSpawn } from './lib/spawn';
import { installQuietRuntime } from './lib/workers';
import type { ShellActivityDeps } from '../activities/shell/run-shell-command';
import { intSetting, progressLogger } from './lib/settings';

const started = performance.now();

/** The 1, 5 and 15 minute load averages: on a shared 2-core machine they say how much the figures can be trusted. */
function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

const log = progressLogger('bench', started);

/** Runs a phase and keeps its error as text, so one failed phase still lets the others report. */
async function attempt<T>(what: string, phase: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await phase() };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`${what} FAILED: ${error}`);
    return { ok: false, error };
  }
}

async function main(): Promise<void> {
  const tasks = intSetting('BENCH_TASKS', 50);
  const warmup = intSetting('BENCH_WARMUP', 5);
  const concurrency = intSetting('BENCH_CONCURRENCY', 16);
  const requests = intSetting('BENCH_REQUESTS', 400);
  const logRuns = intSetting('BENCH_LOG_RUNS', 10);

  installQuietRuntime();
  const base = loadConfig();
  const binary = await resolveTemporalBinary({ cacheDir: base.cacheDir });
  const nodeClasses = loadNodeClasses(base.nodeClassesFile);
  const general = nodeClasses.find((c) => c.name === NOOP_SPEC.nodeClass);
  if (!general) throw new Error(`node class "${NOOP_SPEC.nodeClass}" is not in ${base.nodeClassesFile}`);
  const cpuList = cpus();
  const header = [
    `capstan task-overhead bench: ${platform()}/${arch()}, ${cpuList.length} cores (${cpuList[0]?.model.trim() ?? 'unknown CPU'}), node ${process.version}, ${temporalVersion(binary.path)}`,
    `settings: BENCH_TASKS=${tasks} BENCH_WARMUP=${warmup} BENCH_CONCURRENCY=${concurrency} BENCH_REQUESTS=${requests} BENCH_LOG_RUNS=${logRuns}; node class "${general.name}" concurrency ${general.concurrency}; workers in-process; 127.0.0.1 only`,
    `load average (1/5/15 min) at start: ${load()}; dev-server SQLite files under ${tmpdir()} (TMPDIR; /dev/shm takes disk syncs out)`,
  ].join('\n');
  log(header.replace('\n', '\n  '));

  // Workspaces of every task go to scratch, never to the repo's data directory.
  const workspaceDir = await mkdtemp(join(tmpdir(), 'capstan-bench-ws-'));
  const cleanup = (): void => rmSync(workspaceDir, { recursive: true, force: true });
  const interrupt = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping dev servers and exiting`);
    killLiveServers();
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const bodyDeps: ShellActivityDeps = {
    workspaceRoot: workspaceDir,
    workerIdentity: 'bench',
    outputTailBytes: base.worker.outputTailBytes,
    // The same values createNodeClassWorker passes.
    keepWorkspaces: false,
    maxHeartbeatIntervalMs: 10_000,
    killGraceMs: 5000,
    outputStoreDir: join(workspaceDir, 'outputs'),
    maxOutputFileBytes: base.worker.maxOutputFileBytes,
    inlineOutputBytes: base.worker.inlineOutputBytes,
  };

  try {
    log(`timing /bin/sh -c true and the activity body alone, ${tasks} runs each`);
    const spawn = await attempt('spawn timing', async () => ({
      shell: await measureShellSpawn(tasks),
      body: await measureActivityBody(tasks, NOOP_SPEC, bodyDeps),
    }));

    const envOptions = (
      label: string,
      dynamicConfig: Record<string, string>,
      portFrom: number,
      withRaw: boolean,
    ): BenchEnvOptions => ({
      binary: binary.path,
      label,
      dynamicConfig,
      portFrom,
      base,
      workspaceDir,
      nodeClass: general,
      nodeClasses,
      withRaw,
      log,
    });
    // Servers one after the other, never two at once: an idle second server would still take CPU from the first.
    const p1Description =
      'Capstan settings: 1 read/write partition, new matcher, history queues read up to 1000/s, SQLite WAL (DEV_SERVER_DYNAMIC_CONFIG, DEV_SERVER_SQLITE_PRAGMAS)';
    const p1 = await attempt('part 1 on Capstan settings', () =>
      withBenchEnv(envOptions('capstan', DEV_SERVER_DYNAMIC_CONFIG, 27233, true), (env) =>
        measureOverhead(env, tasks, warmup, log),
      ),
    );
    const defDescription =
      "Temporal's defaults: no dynamic config (history queues read 20/s per shard), SQLite rollback journal";
    const def = await attempt('part 1 on defaults', () =>
      withBenchEnv({ ...envOptions('defaults', {}, 27243, true), sqlitePragmas: {} }, (env) =>
        measureOverhead(env, tasks, warmup, log),
      ),
    );
    // A fresh server for the API phase, so its hundreds of runs cannot affect part 1, nor part 1's runs it.
    const api = await attempt('part 3 API load', () =>
      withBenchEnv(envOptions('api', DEV_SERVER_DYNAMIC_CONFIG, 27253, false), (env) =>
        benchApi(env, { requests, concurrency, warmup, log }),
      ),
    );

    // Its own server again: tasks printing 10 MB must not share a database or a server with the phases above. The
    // database runs in its own process, as under `npm start`, so its work is not counted as the worker's event loop.
    const logs = await attempt('part 4 task logs', () =>
      withBenchEnv({ ...envOptions('logs', DEV_SERVER_DYNAMIC_CONFIG, 27263, false), databaseProcess: true }, (env) =>
        measureLogOverhead(
          env,
          logRuns,
          Math.min(warmup, 2),
          { ...bodyDeps, logs: taskLogDeps(base, env.deps.db, createLogger('bench-body', 'warn')) },
          log,
        ),
      ),
    );

    const results: BenchResults = {
      logs,
      logRuns,
      header,
      tasks,
      warmup,
      spawn,
      concurrency,
      api,
      servers: [
        { name: 'capstan', description: p1Description, overhead: p1 },
        { name: 'defaults', description: defDescription, overhead: def },
      ],
      totalSeconds: (performance.now() - started) / 1000,
      loadAtEnd: load(),
    };
    process.stdout.write(`${renderReport(results).join('\n')}\n`);
  } finally {
    cleanup();
  }
}

main().then(
  // Explicit exit: the SDK runtime's native threads can keep the event loop alive after the workers stopped.
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killLiveServers();
    process.exit(1);
  },
);
