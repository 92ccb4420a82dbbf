/**
 * `node dist/bench/fanout-profile.js`: where a Capstan fan-out's time goes, beside raw Temporal's in the same run.
 * Alternates BENCH_FANOUT_REPS Capstan and raw fan-outs of BENCH_FANOUT_WIDTH light tasks on the same dev server
 * and prints, per side: throughput, CPU seconds of every process (from /proc) per 100 tasks, the machine's busy
 * share, and the activities' dispatch (scheduled -> started) and run (started -> completed) times from the history.
 * Report on stdout, progress on stderr.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../cli/dev-server';
import { resolveTemporalBinary } from '../toolchain/temporal-binary';
import { loadConfig } from '../config/env';
import { loadNodeClasses, type NodeClass } from '../config/node-classes';
import { withBenchEnv, type BenchEnv } from './lib/bench-env';
import { warmUp } from './lib/dag-phases';
import { startRawBaseline, timeRawFanout } from './lib/dag-raw';
import { runDag } from './lib/dag-run';
import { installDagRuntime } from './lib/dag-runtime';
import { fanoutSpec } from './lib/dag-specs';
import { intSetting, progressLogger } from './lib/settings';
import { summarize } from './lib/stats';

const log = progressLogger('fanout-profile', performance.now());
const EventType = temporal.api.enums.v1.EventType;

/** utime, stime, cutime, cstime of `pid` in seconds (children's times count once they are reaped). */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Pids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Busy and total jiffies of the whole machine. */
function machine(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - line[3]! - line[4]!, total };
}

type Procs = Array<{ name: string; pid: number }>;

function snapshot(procs: Procs): number[] {
  return procs.map((p) => cpuOf(p.pid));
}

interface Sample {
  ms: number;
  cpu: number[];
  busyShare: number;
  dispatch?: number[];
  run?: number[];
}

async function activityTimes(client: Client, id: string): Promise<{ dispatch: number[]; run: number[] }> {
  const scheduled = new Map<number, number>();
  const started = new Map<number, number>();
  const dispatch: number[] = [];
  const run: number[] = [];
  const ms = (e: temporal.api.history.v1.IHistoryEvent): number =>
    tsToMs({ seconds: e.eventTime?.seconds, nanos: 0 }) + (e.eventTime?.nanos ?? 0) / 1e6;
  const history = await client.workflow.getHandle(id).fetchHistory();
  for (const e of history.events ?? []) {
    const eventId = Number(e.eventId);
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) scheduled.set(eventId, ms(e));
    else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const s = Number(e.activityTaskStartedEventAttributes?.scheduledEventId);
      started.set(s, ms(e));
      dispatch.push(ms(e) - (scheduled.get(s) ?? Number.NaN));
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const s = Number(e.activityTaskCompletedEventAttributes?.scheduledEventId);
      run.push(ms(e) - (started.get(s) ?? Number.NaN));
    }
  }
  return { dispatch, run };
}

async function timed(procs: Procs, body: () => Promise<{ ms: number; id?: string }>, client: Client): Promise<Sample> {
  const c0 = snapshot(procs);
  const m0 = machine();
  const { ms, id } = await body();
  const c1 = snapshot(procs);
  const m1 = machine();
  const sample: Sample = {
    ms,
    cpu: c1.map((c, i) => c - c0[i]!),
    busyShare: (m1.busy - m0.busy) / (m1.total - m0.total),
  };
  if (id) Object.assign(sample, await activityTimes(client, id));
  return sample;
}

function report(what: string, tasks: number, procs: Procs, samples: Sample[]): string[] {
  const med = (xs: number[]): number => summarize(xs).p50;
  const lines = [
    `${what}: ${tasks} tasks, wall s median ${(med(samples.map((s) => s.ms)) / 1000).toFixed(2)} => ${(tasks / (med(samples.map((s) => s.ms)) / 1000)).toFixed(1)} tasks/s (runs: ${samples.map((s) => (tasks / (s.ms / 1000)).toFixed(0)).join(', ')}); machine busy ${(100 * med(samples.map((s) => s.busyShare))).toFixed(0)}% of 2 cores`,
  ];
  procs.forEach((p, i) => {
    const secs = med(samples.map((s) => s.cpu[i]!));
    const share = med(samples.map((s) => s.cpu[i]! / (s.ms / 1000)));
    lines.push(
      `  ${p.name.padEnd(28)} CPU ${secs.toFixed(2)} s per run = ${((secs * 1000) / tasks).toFixed(2)} ms/task, ${(100 * share).toFixed(0)}% of a core`,
    );
  });
  const dispatch = samples.flatMap((s) => s.dispatch ?? []);
  const run = samples.flatMap((s) => s.run ?? []);
  if (dispatch.length > 0) {
    const d = summarize(dispatch);
    const r = summarize(run);
    lines.push(
      `  activity scheduled->started ms: p50 ${d.p50.toFixed(1)} p90 ${d.p90.toFixed(1)} max ${d.max.toFixed(0)}; started->completed ms: p50 ${r.p50.toFixed(1)} p90 ${r.p90.toFixed(1)} max ${r.max.toFixed(0)}`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const width = intSetting('BENCH_FANOUT_WIDTH', 400);
  const reps = intSetting('BENCH_FANOUT_REPS', 4);
  const load0 = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  installDagRuntime();
  const base = loadConfig();
  const binary = await resolveTemporalBinary({ cacheDir: base.cacheDir });
  const fileClasses = loadNodeClasses(base.nodeClassesFile);
  const general = fileClasses.find((c) => c.name === 'general')!;
  const nodeClass: NodeClass = { ...general, concurrency: 100 };
  const nodeClasses = fileClasses.map((c) => (c.name === nodeClass.name ? nodeClass : c));
  const workspaceDir = await mkdtemp(join(tmpdir(), 'capstan-fanout-profile-'));
  const out: string[] = [];
  try {
    await withBenchEnv(
      {
        binary: binary.path,
        label: 'fanout',
        dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG,
        portFrom: 27600,
        base,
        workspaceDir,
        nodeClass,
        nodeClasses,
        withRaw: false,
        orchestratorProcess: true,
        nodeWorkerProcess: true,
        databaseProcess: true,
        log,
      },
      async (env: BenchEnv) => {
        const raw = await startRawBaseline(env.address, env.deps.taskQueuePrefix, nodeClass.concurrency);
        try {
          await warmUp(env, raw, nodeClass.name);
          const launcher = childrenOf(env.nodeWorkerPid!).find((pid) =>
            readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('launcher-main'),
          );
          const procs: Procs = [
            { name: 'orchestrator worker', pid: env.orchestratorPid! },
            { name: 'node-class worker', pid: env.nodeWorkerPid! },
            ...(launcher ? [{ name: 'launcher (+ its commands)', pid: launcher }] : []),
            { name: 'embedded database', pid: env.databasePid! },
            { name: 'Temporal dev server', pid: env.serverPid! },
            { name: 'bench (client + raw pair)', pid: process.pid },
          ];
          const spec = fanoutSpec(width, nodeClass.name, width);
          const capstan: Sample[] = [];
          const rawSamples: Sample[] = [];
          const runCapstan = async (): Promise<void> => {
            capstan.push(
              await timed(
                procs,
                async () => {
                  const run = await runDag(env, spec, 300_000);
                  if (run.error) throw new Error(run.error);
                  return { ms: run.wallMs, id: run.runId };
                },
                env.client,
              ),
            );
          };
          const runRaw = async (): Promise<void> => {
            rawSamples.push(
              await timed(
                procs,
                async () => ({ ms: await timeRawFanout(env.client, raw.queues, width, 300_000) }),
                env.client,
              ),
            );
          };
          for (let i = 0; i < reps; i++) {
            if (i % 2 === 0) {
              await runCapstan();
              await runRaw();
            } else {
              await runRaw();
              await runCapstan();
            }
            log(
              `${i + 1}/${reps}: Capstan ${(capstan[i]!.ms / 1000).toFixed(2)} s, raw ${(rawSamples[i]!.ms / 1000).toFixed(2)} s; load ${loadavg()[0]!.toFixed(2)}`,
            );
          }
          out.push(...report('Capstan fan-out', width + 1, procs, capstan));
          out.push(...report('raw fan-out', width + 1, procs, rawSamples));
        } finally {
          await raw.stop();
        }
      },
    );
  } finally {
    rmSync(workspaceDir, { recursive: true, force: true });
  }
  out.push(
    `load average: start ${load0}, end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`fanout profile failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
