/**
 * `npm run bench:ceiling`: the most light tasks per second one machine sustains with every task
 * completing, and what limits it. The whole product is in the loop, each part in a process of its
 * own as under `npm start` (API, orchestrator, node-class worker, embedded database, dev server);
 * tasks are started through `POST /v1/tasks` at a fixed arrival rate, first in short steps of rising
 * rate, then for BENCH_CEILING_MINUTES at the highest rate that held. Report on stdout, progress on stderr.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { arch, cpus, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../cli/dev-server';
import { loadConfig } from '../config/env';
import { loadNodeClasses, type NodeClass } from '../config/node-classes';
import { resolveTemporalBinary, temporalVersion } from '../toolchain/temporal-binary';
import { withBenchEnv } from './lib/bench-env';
import { startApiProcess } from './lib/ceiling-api';
import { writeClassesFile } from './lib/classes-file';
import { CpuSampler, type Watched } from './lib/ceiling-cpu';
import { renderCeiling, shortCpu } from './lib/ceiling-report';
import { runCeiling, type CeilingResult } from './lib/ceiling-search';
import { apiBatch, loadNow, rawBatch, runStep, type CeilingContext } from './lib/ceiling-step';
import { killLiveServers } from './lib/dev-server';
import { intSetting, progressLogger } from './lib/settings';
import { installQuietRuntime } from './lib/workers';

const started = performance.now();
const log = progressLogger('bench:ceiling', started);

function rateList(name: string, fallback: string): number[] {
  const raw = process.env[name] || fallback;
  const rates = raw.split(',').map((r) => Number(r.trim()));
  if (rates.some((r) => !Number.isInteger(r) || r < 1) || rates.some((r, i) => i > 0 && r <= (rates[i - 1] ?? 0)))
    throw new Error(`${name} must be rising positive integers separated by commas, got "${raw}"`);
  return rates;
}

async function main(): Promise<void> {
  const minutes = intSetting('BENCH_CEILING_MINUTES', 10);
  const stepSeconds = intSetting('BENCH_CEILING_STEP_S', 45);
  const rates = rateList('BENCH_CEILING_RATES', '10,20,40,60,80,100,125,150,200,250,300');
  // 0 is allowed: no bisection, the search stops at the first rate that fails.
  const refine = process.env.BENCH_CEILING_REFINE === '0' ? 0 : intSetting('BENCH_CEILING_REFINE', 2);
  const stepDrainSeconds = intSetting('BENCH_CEILING_DRAIN_S', 30);
  const finalDrainSeconds = intSetting('BENCH_CEILING_FINAL_DRAIN_S', 120);
  const concurrency = intSetting('BENCH_CEILING_CONCURRENCY', 100);
  // BENCH_CEILING_RAW=0: no raw-Temporal search (the baseline) after Capstan's phases.
  const withRaw = process.env.BENCH_CEILING_RAW !== '0';

  installQuietRuntime();
  const base = loadConfig();
  const binary = await resolveTemporalBinary({ cacheDir: base.cacheDir });
  const fileClasses = loadNodeClasses(base.nodeClassesFile);
  const general = fileClasses.find((c) => c.name === 'general');
  if (!general) throw new Error(`node class "general" is not in ${base.nodeClassesFile}`);
  // Task slots high enough that CPU, not the slot count, is what runs out first.
  const nodeClass: NodeClass = { ...general, concurrency };
  const nodeClasses = fileClasses.map((c) => (c.name === nodeClass.name ? nodeClass : c));
  const cpuList = cpus();
  const header = [
    `capstan throughput ceiling bench: ${platform()}/${arch()}, ${cpuList.length} cores (${cpuList[0]?.model.trim() ?? 'unknown CPU'}), node ${process.version}, ${temporalVersion(binary.path)}`,
    `settings: BENCH_CEILING_RATES=${rates.join(',')} BENCH_CEILING_STEP_S=${stepSeconds} BENCH_CEILING_REFINE=${refine} BENCH_CEILING_DRAIN_S=${stepDrainSeconds} BENCH_CEILING_MINUTES=${minutes} BENCH_CEILING_FINAL_DRAIN_S=${finalDrainSeconds} BENCH_CEILING_CONCURRENCY=${concurrency} BENCH_CEILING_RAW=${withRaw ? 1 : 0}`,
    `tasks: {"nodeClass":"general","command":"true"} through POST /v1/tasks, open loop (latency from the scheduled send); API, orchestrator, node-class worker (concurrency ${concurrency}; its CPU includes its tasks' processes), embedded database and dev server (DEV_SERVER_DYNAMIC_CONFIG) in a process each, as npm start runs them; ended runs counted from Temporal visibility${withRaw ? '; baseline: the same search with raw Temporal workflows of one no-op activity, started by the client, their worker pair in the bench process' : ''}`,
    `load average (1/5/15 min) at start: ${loadNow()}`,
  ];
  log(header.join('\n  '));

  const workspaceDir = await mkdtemp(join(tmpdir(), 'capstan-bench-ceiling-'));
  const cleanup = (): void => rmSync(workspaceDir, { recursive: true, force: true });
  const interrupt = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the dev server and exiting`);
    killLiveServers();
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let result: CeilingResult;
  try {
    result = await withBenchEnv(
      {
        binary: binary.path,
        label: 'ceiling',
        dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG,
        portFrom: 27140,
        base,
        workspaceDir,
        nodeClass,
        nodeClasses,
        withRaw,
        orchestratorProcess: true,
        nodeWorkerProcess: true,
        databaseProcess: true,
        log,
      },
      async (env) => {
        const classesFile = writeClassesFile(join(workspaceDir, 'api-node-classes.yaml'), nodeClasses);
        const apiLog = join(workspaceDir, 'api.log');
        log('starting the API process');
        const api = await startApiProcess(env.config, classesFile, join(workspaceDir, 'api-data'), apiLog);
        const watched: Watched[] = [
          { name: 'api', pid: api.pid },
          { name: 'orchestrator', pid: env.orchestratorPid ?? NaN },
          { name: 'node worker', pid: env.nodeWorkerPid ?? NaN, children: true },
          { name: 'database', pid: env.databasePid ?? NaN },
          { name: 'temporal', pid: env.serverPid ?? NaN },
          { name: 'bench', pid: process.pid },
        ];
        // A process that died at start (a port another program took) must stop the run, not leave a gap in the figures.
        const gone = watched.filter((w) => !Number.isFinite(w.pid) || !existsSync(`/proc/${w.pid}`));
        if (gone.length > 0) throw new Error(`not running: ${gone.map((w) => w.name).join(', ')}`);
        const sampler = new CpuSampler(watched);
        const apiBatchFor = (prefix: string) => apiBatch(api.url, env.apiToken, nodeClass.name, prefix);
        const raw = env.raw;
        const rawBatchFor = raw ? (prefix: string) => rawBatch(env.client, raw, prefix) : undefined;
        const ctx: CeilingContext = {
          client: env.client,
          sampler,
          assertAlive: () => {
            env.assertAlive();
            api.assertAlive();
            if (!existsSync(`/proc/${env.databasePid}`)) throw new Error('the embedded database process exited');
          },
          log,
        };
        try {
          log('[warm-up] 5 tasks/s for 6 s');
          const warm = await runStep(ctx, {
            label: 'warm-up',
            batch: apiBatchFor('capstan-ceiling-warmup-'),
            rate: 5,
            seconds: 6,
            drainSeconds: 30,
            sampleEveryS: 2,
            progressEveryS: 0,
            describeCpu: shortCpu,
          });
          if (!warm.holds) throw new Error(`the warm-up failed: ${warm.why.join('; ')}`);
          if (rawBatchFor) {
            const rawWarm = await runStep(ctx, {
              label: 'raw warm-up',
              batch: rawBatchFor('raw-ceiling-warmup-'),
              rate: 5,
              seconds: 4,
              drainSeconds: 30,
              sampleEveryS: 2,
              progressEveryS: 0,
              describeCpu: shortCpu,
            });
            if (!rawWarm.holds) throw new Error(`the raw warm-up failed: ${rawWarm.why.join('; ')}`);
          }
          return await runCeiling(
            ctx,
            { rates, stepSeconds, refine, stepDrainSeconds, minutes, finalDrainSeconds, describeCpu: shortCpu },
            apiBatchFor,
            rawBatchFor,
          );
        } finally {
          sampler.stop();
          await api.stop();
        }
      },
    );
  } finally {
    cleanup();
  }
  const footer = `load average (1/5/15 min) at end: ${loadNow()}`;
  process.stdout.write(
    `${[...renderCeiling(header, result, minutes, (performance.now() - started) / 1000), footer].join('\n')}\n`,
  );
}

main().then(
  // Explicit exit: the SDK runtime's native threads can keep the event loop alive after the workers stopped.
  () => process.exit(0),
  (err: unknown) => {
    console.error(`ceiling bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killLiveServers();
    process.exit(1);
  },
);
