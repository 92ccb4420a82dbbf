/** The four measurements of the DAG bench; each returns plain figures for dag-report. */
import { temporalProcessName } from './dev-server';
import { DagSpecSchema } from '../../workflows/contracts/dag-spec';
import { validateDag, type DagLimits } from '../../workflows/dag/validate';
import type { BenchEnv } from './bench-env';
import { timeRawChain, timeRawFanout, type RawBaseline } from './dag-raw';
import { executionSizes, type ExecutionSize } from './dag-history';
import { dagProgress, errorText, runDag, sampleRss, type DagRun } from './dag-run';
import { chainSpec, fanoutSpec, layeredSpec } from './dag-specs';
import { sampleProcesses, type ProcessRss } from './process-rss';
import { since, summarize, type Summary } from './stats';

/** Wall times (ms) of the Capstan DAG and of its raw-Temporal equivalent, one sample per repetition. */
export interface Paired {
  size: number;
  capstan: Summary;
  raw: Summary;
  /** Raw Temporal whose activities each spawn the light task's command (`/bin/sh -c true`), when measured. */
  rawCommand?: Summary;
}

/** What the large layered DAG did. */
export interface LargeDag {
  tasks: number;
  width: number;
  maxParallel: number;
  specBytes: number;
  run: DagRun;
  /** Progress as last seen, for a run that failed or timed out. */
  lastProgress?: string;
  /** Tasks that succeeded: all of them, or as last seen for a run that failed. */
  succeeded: number;
  executions: ExecutionSize[];
  executionsError?: string;
  rss: { startBytes: number; peakBytes: number; samples: number };
  /** Every Capstan process's memory during the run (the orchestrator, this process, the dev server). */
  processes: ProcessRss[];
}

/** Timing of validating one spec. */
export interface Validation {
  tasks: number;
  specBytes: number;
  jsonParse: Summary;
  schemaParse: Summary;
  validate: Summary;
  total: Summary;
  issues: number;
}

type Log = (line: string) => void;

/** Fails the phase with the run's error, naming the run. */
function mustSucceed(run: DagRun, what: string): number {
  if (run.error !== undefined || run.result?.status !== 'succeeded')
    throw new Error(`${what} ${run.runId}: ${run.error ?? run.result?.status}`);
  return run.wallMs;
}

/** Runs each side `reps` times, rotating which goes first, so load drift on the shared machine hits all alike. */
async function rotated(
  reps: number,
  sides: Array<{ name: string; run: () => Promise<number> }>,
  what: string,
  log: Log,
): Promise<number[][]> {
  const samples = sides.map(() => [] as number[]);
  for (let i = 0; i < reps; i++) {
    for (let k = 0; k < sides.length; k++) {
      const side = (i + k) % sides.length;
      samples[side]!.push(await sides[side]!.run());
    }
    log(
      `${what} ${i + 1}/${reps}: ${sides.map((side, k) => `${side.name} ${(samples[k]![i]! / 1000).toFixed(2)} s`).join(', ')}`,
    );
  }
  return samples;
}

/** One small DAG and one small raw run of each kind, so the timed runs do not pay for first-use costs. */
export async function warmUp(env: BenchEnv, raw: RawBaseline, nodeClass: string): Promise<void> {
  mustSucceed(await runDag(env, chainSpec(3, nodeClass), 60_000), 'warm-up chain');
  mustSucceed(await runDag(env, fanoutSpec(20, nodeClass, 20), 60_000), 'warm-up fan-out');
  await timeRawChain(env.client, raw.queues, 3, 60_000);
  await timeRawFanout(env.client, raw.queues, 20, 60_000);
}

/** Part 1: a chain of `length` light tasks as a Capstan DAG vs rawChainWorkflow with as many sequential no-ops. */
export async function measureChain(
  env: BenchEnv,
  raw: RawBaseline,
  nodeClass: string,
  length: number,
  reps: number,
  log: Log,
): Promise<Paired> {
  const deadline = 60_000 + length * 2000;
  const spec = chainSpec(length, nodeClass);
  const [capstan, rawMs] = await rotated(
    reps,
    [
      { name: 'Capstan', run: async () => mustSucceed(await runDag(env, spec, deadline), 'chain DAG') },
      { name: 'raw', run: () => timeRawChain(env.client, raw.queues, length, deadline) },
    ],
    `[chain ${length}]`,
    log,
  );
  return { size: length, capstan: summarize(capstan!), raw: summarize(rawMs!) };
}

/**
 * Part 2: one root plus `width` independent light tasks as a Capstan DAG vs rawFanoutWorkflow (root, then
 * Promise.all) of no-ops, and of activities that each spawn the same `true` command.
 */
export async function measureFanout(
  env: BenchEnv,
  raw: RawBaseline,
  nodeClass: string,
  width: number,
  reps: number,
  log: Log,
): Promise<Paired> {
  const deadline = 120_000 + width * 500;
  const spec = fanoutSpec(width, nodeClass, Math.min(width, 1000));
  const [capstan, rawMs, rawCommand] = await rotated(
    reps,
    [
      { name: 'Capstan', run: async () => mustSucceed(await runDag(env, spec, deadline), 'fan-out DAG') },
      { name: 'raw', run: () => timeRawFanout(env.client, raw.queues, width, deadline) },
      { name: 'raw + sh', run: () => timeRawFanout(env.client, raw.queues, width, deadline, 'true') },
    ],
    `[fan-out ${width}]`,
    log,
  );
  return {
    size: width,
    capstan: summarize(capstan!),
    raw: summarize(rawMs!),
    rawCommand: summarize(rawCommand!),
  };
}

/** Part 3: a `tasks`-task layered DAG end to end, with its executions' history sizes and this process's peak RSS. */
export async function measureLarge(
  env: BenchEnv,
  nodeClass: string,
  tasks: number,
  width: number,
  maxParallel: number,
  deadlineMs: number,
  log: Log,
): Promise<LargeDag> {
  const spec = layeredSpec(tasks, width, nodeClass, maxParallel);
  const specBytes = Buffer.byteLength(JSON.stringify(spec));
  log(
    `[large] ${tasks} tasks, ${Math.ceil(tasks / Math.min(width, tasks))} layers of ${Math.min(width, tasks)}, maxParallel ${maxParallel}, spec ${(specBytes / 1024).toFixed(0)} KB; deadline ${(deadlineMs / 1000).toFixed(0)} s`,
  );
  const rss = sampleRss(250);
  const processes = sampleProcesses([
    ...(env.orchestratorPid === undefined ? [] : [{ name: 'orchestrator worker', pid: env.orchestratorPid }]),
    ...(env.nodeWorkerPid === undefined ? [] : [{ name: 'node-class worker', pid: env.nodeWorkerPid }]),
    ...(env.databasePid === undefined ? [] : [{ name: 'embedded database', pid: env.databasePid }]),
    { name: 'bench (client; workers and database unless listed)', pid: process.pid },
    ...(env.serverPid === undefined ? [] : [{ name: temporalProcessName(), pid: env.serverPid }]),
  ]);
  let run: DagRun;
  try {
    run = await runDag(env, spec, deadlineMs, log);
  } catch (err) {
    rss.stop();
    processes.stop();
    throw err;
  }
  const rssFigures = rss.stop();
  const processFigures = processes.stop();
  log(
    `[large] ${run.error === undefined ? 'finished' : `FAILED: ${run.error}`} after ${(run.wallMs / 1000).toFixed(1)} s`,
  );
  let lastProgress: string | undefined;
  let succeeded = run.result?.counts.succeeded ?? 0;
  if (run.error !== undefined) {
    const progress = await dagProgress(env.client, run.runId);
    lastProgress = progress.line;
    succeeded = progress.succeeded ?? 0;
    log(`[large] last progress: ${lastProgress}`);
    await env.client.workflow
      .getHandle(run.runId)
      .terminate('bench: DAG failed or missed its deadline')
      .catch(() => undefined);
  }
  let executions: ExecutionSize[] = [];
  let executionsError: string | undefined;
  try {
    executions = await executionSizes(env.client, run.runId, run.result?.executions ?? 1);
  } catch (err) {
    executionsError = errorText(err);
  }
  return {
    tasks,
    width,
    maxParallel,
    specBytes,
    run,
    lastProgress,
    succeeded,
    executions,
    executionsError,
    rss: rssFigures,
    processes: processFigures,
  };
}

/** Part 4: JSON.parse, DagSpecSchema.parse and validateDag of a `tasks`-task layered spec, `reps` times each. */
export function measureValidation(tasks: number, nodeClasses: string[], limits: DagLimits, reps: number): Validation {
  const text = JSON.stringify(layeredSpec(tasks, 100, nodeClasses[0] ?? 'general', 200));
  const jsonParse: number[] = [];
  const schemaParse: number[] = [];
  const validate: number[] = [];
  let issues = 0;
  for (let i = 0; i < reps; i++) {
    let t0 = performance.now();
    const body: unknown = JSON.parse(text);
    jsonParse.push(since(t0));
    t0 = performance.now();
    const spec = DagSpecSchema.parse(body);
    schemaParse.push(since(t0));
    t0 = performance.now();
    issues = validateDag(spec, nodeClasses, limits).length;
    validate.push(since(t0));
  }
  const total = schemaParse.map((x, i) => x + validate[i]!);
  return {
    tasks,
    specBytes: Buffer.byteLength(text),
    jsonParse: summarize(jsonParse),
    schemaParse: summarize(schemaParse),
    validate: summarize(validate),
    total: summarize(total),
    issues,
  };
}
