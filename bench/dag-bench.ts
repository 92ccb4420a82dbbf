/**
 * `npm run bench:dag`: what Capstan DAGs cost against raw Temporal in the same run (a 40-task chain,
 * a 400-task fan-out), whether a 10,000-task DAG completes and stays inside Temporal's history
 * limits, and how long validating such a spec takes. Report on stdout, progress on stderr.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../cli/dev-server';
import { resolveTemporalBinary, temporalVersion } from '../toolchain/temporal-binary';
import { loadConfig } from '../config/env';
import { loadNodeClasses, type NodeClass } from '../config/node-classes';
import { withBenchEnv } from './lib/bench-env';
import {
  measureChain,
  measureFanout,
  measureLarge,
  measureValidation,
  warmUp,
  type LargeDag,
  type Paired,
} from './lib/dag-phases';
import { startRawBaseline } from './lib/dag-raw';
import { renderDagReport } from './lib/dag-report';
import { errorText } from './lib/dag-run';
import { installDagRuntime, warningTally } from './lib/dag-runtime';
import { benchTemporal, killLiveServers } from './lib/dev-server';
import type { Outcome } from './lib/report';
import { intSetting, progressLogger } from './lib/settings';

const started = performance.now();

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

const log = progressLogger('dag-bench', started);

async function attempt<T>(what: string, phase: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await phase() };
  } catch (err) {
    // With its causes: "Failed to start Workflow" alone does not say that the input passed the payload limit.
    const error = errorText(err);
    log(`${what} FAILED: ${error}`);
    return { ok: false, error };
  }
}

const failed = <T>(error: string): Outcome<T> => ({ ok: false, error });

async function main(): Promise<void> {
  const largeTasks = intSetting('BENCH_DAG_TASKS', 10_000);
  // A second layered DAG of BENCH_DAG_HUGE_TASKS (50,000) after the first; BENCH_DAG_HUGE=0 leaves it out.
  const hugeTasks = process.env.BENCH_DAG_HUGE === '0' ? 0 : intSetting('BENCH_DAG_HUGE_TASKS', 50_000);
  // BENCH_DAG_IN_PROCESS=1: the workers and the database run in the bench's process, as before, instead
  // of one process each as under npm start (where a task's spawn forks a small worker, not the bench).
  const ownProcesses = process.env.BENCH_DAG_IN_PROCESS !== '1';
  const reps = intSetting('BENCH_DAG_REPS', 3);
  const deadlineS = intSetting('BENCH_DAG_DEADLINE_S', Math.ceil(300 + largeTasks * 0.12));
  const chainLength = 40;
  const fanoutWidth = 400;
  const loads: Array<[string, string]> = [['start', load()]];

  installDagRuntime();
  const base = loadConfig();
  const binary = await resolveTemporalBinary({ cacheDir: base.cacheDir });
  const fileClasses = loadNodeClasses(base.nodeClassesFile);
  const general = fileClasses.find((c) => c.name === 'general');
  if (!general) throw new Error(`node class "general" is not in ${base.nodeClassesFile}`);
  // Concurrency 100 so the fan-out has room; the raw activity worker gets the same.
  const nodeClass: NodeClass = { ...general, concurrency: 100 };
  const nodeClasses = fileClasses.map((c) => (c.name === nodeClass.name ? nodeClass : c));
  const cpuList = cpus();
  const header = [
    `capstan DAG bench: ${platform()}/${arch()}, ${cpuList.length} cores (${cpuList[0]?.model.trim() ?? 'unknown CPU'}), node ${process.version}, ${temporalVersion(binary.path)}`,
    `settings: BENCH_DAG_TASKS=${largeTasks} BENCH_DAG_REPS=${reps} BENCH_DAG_DEADLINE_S=${deadlineS}${hugeTasks > 0 ? ` BENCH_DAG_HUGE_TASKS=${hugeTasks}` : ''}; ${benchTemporal() === 'cluster' ? 'a Temporal server 1.29.1 on PostgreSQL (CAPSTAN_BENCH_TEMPORAL=cluster)' : `one dev server (SQLite under ${tmpdir()})`} with DEV_SERVER_DYNAMIC_CONFIG; ${ownProcesses ? 'Capstan orchestrator, node-class worker and embedded database in a process each (as npm start runs them), raw pair in-process' : 'in-process Capstan orchestrator + node-class worker, embedded database and raw pair (BENCH_DAG_IN_PROCESS=1)'}; 127.0.0.1 only`,
  ].join('\n');
  log(header.replace('\n', '\n  '));

  log('[validation] 10,000-task layered spec, 5 runs');
  const validation = await attempt('validation', () =>
    measureValidation(
      10_000,
      nodeClasses.map((c) => c.name),
      { maxExpandedTasks: base.dag.maxExpandedTasks, maxMatrixBranches: base.dag.maxMatrixBranches },
      5,
    ),
  );

  const workspaceDir = await mkdtemp(join(tmpdir(), 'capstan-dag-bench-ws-'));
  const cleanup = (): void => rmSync(workspaceDir, { recursive: true, force: true });
  const interrupt = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the dev server and exiting`);
    killLiveServers();
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let chain: Outcome<Paired> = failed('not run');
  let fanout: Outcome<Paired> = failed('not run');
  let large: Outcome<LargeDag> = failed('not run');
  let huge: Outcome<LargeDag> | undefined = hugeTasks > 0 ? failed('not run') : undefined;
  try {
    await attempt('environment', () =>
      withBenchEnv(
        {
          binary: binary.path,
          label: 'dag',
          dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG,
          portFrom: 27400,
          base,
          workspaceDir,
          nodeClass,
          nodeClasses,
          withRaw: false,
          orchestratorProcess: ownProcesses,
          nodeWorkerProcess: ownProcesses,
          databaseProcess: ownProcesses,
          log,
        },
        async (env) => {
          const raw = await startRawBaseline(env.address, env.deps.taskQueuePrefix, nodeClass.concurrency);
          try {
            const alive = (): void => {
              env.assertAlive();
              raw.assertAlive();
            };
            log('[warm-up] small chain and fan-out, Capstan and raw');
            await warmUp(env, raw, nodeClass.name);
            alive();
            chain = await attempt('chain', () => measureChain(env, raw, nodeClass.name, chainLength, reps, log));
            alive();
            fanout = await attempt('fan-out', () => measureFanout(env, raw, nodeClass.name, fanoutWidth, reps, log));
            alive();
            loads.push(['before the layered DAG', load()]);
            large = await attempt('layered DAG', () =>
              measureLarge(env, nodeClass.name, largeTasks, 100, 200, deadlineS * 1000, log),
            );
            loads.push(['after it', load()]);
            if (hugeTasks > 0) {
              alive();
              huge = await attempt('huge layered DAG', () =>
                measureLarge(env, nodeClass.name, hugeTasks, 100, 200, Math.ceil(300 + hugeTasks * 0.12) * 1000, log),
              );
              loads.push([`after the ${hugeTasks}-task DAG`, load()]);
            }
          } finally {
            await raw.stop().catch((err: unknown) => log(`stopping the raw workers failed: ${(err as Error).message}`));
          }
        },
      ),
    );
  } finally {
    cleanup();
  }
  loads.push(['end', load()]);
  process.stdout.write(
    `${renderDagReport({
      header,
      nodeClass: { name: nodeClass.name, concurrency: nodeClass.concurrency },
      continueAsNewAfterEvents: base.dag.continueAsNewAfterEvents,
      chain,
      fanout,
      large,
      huge,
      validation,
      loads,
      warnings: [...warningTally],
      totalSeconds: (performance.now() - started) / 1000,
    }).join('\n')}\n`,
  );
}

main().then(
  // Explicit exit: the SDK runtime's native threads can keep the event loop alive after the workers stopped.
  () => process.exit(0),
  (err: unknown) => {
    console.error(`dag bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killLiveServers();
    process.exit(1);
  },
);
