/** Part 1: sequential per-task latency of a Capstan task against a raw one-activity workflow, and a raw chain. */
import { randomUUID } from 'node:crypto';
import { actAs } from '../../api/auth/principal';
import { startTask } from '../../api/services/start-task';
import { TaskSpecSchema, type TaskSpec } from '../../workflows/contracts/task-spec';
import type { rawChainWorkflow, rawTaskWorkflow } from '../raw-workflow';
import type { BenchEnv } from './bench-env';
import { phaseBreakdown, type PhaseBreakdown } from './history';
import { since, summarize, type Summary } from './stats';
import { withTimeout } from './timeout';

/** Figures of part 1 for one server. */
export interface OverheadResult {
  capstan: Summary;
  raw: Summary;
  chain: { steps: number; totalMs: number; perStepMs: number };
  /** Where the time of (a) and (b) went, from the runs' event histories. */
  phases: { capstan: PhaseBreakdown; raw: PhaseBreakdown };
}

/** One timed run: its workflow id, to read its history afterwards, and its client-side ms. */
interface Timed {
  id: string;
  ms: number;
}

/** A single task should take milliseconds; a minute means something is stuck, not slow. */
const TASK_DEADLINE_MS = 60_000;

/** The spec every Capstan task of the bench runs, validated the way the API validates a request body. */
export const NOOP_SPEC: TaskSpec = TaskSpecSchema.parse({ nodeClass: 'general', command: 'true' });

/** One Capstan task, started through the API's own startTask and awaited to completion. */
async function capstanTask(env: BenchEnv): Promise<Timed> {
  const t0 = performance.now();
  const { runId } = await actAs(env.principal, () => startTask(env.deps, NOOP_SPEC));
  await withTimeout(env.client.workflow.getHandle(runId).result(), TASK_DEADLINE_MS, `Capstan task ${runId}`);
  return { id: runId, ms: since(t0) };
}

/** One raw task: start the one-activity workflow and await its result the same way. */
async function rawTask(env: BenchEnv): Promise<Timed> {
  const raw = requireRaw(env);
  const workflowId = `raw-${randomUUID()}`;
  const t0 = performance.now();
  await env.client.workflow.start<typeof rawTaskWorkflow>('rawTaskWorkflow', {
    workflowId,
    taskQueue: raw.workflowQueue,
    args: [raw.activityQueue],
  });
  await withTimeout(env.client.workflow.getHandle(workflowId).result(), TASK_DEADLINE_MS, `raw task ${workflowId}`);
  return { id: workflowId, ms: since(t0) };
}

/** One workflow running `steps` no-op activities in sequence; returns its total ms. */
async function rawChain(env: BenchEnv, steps: number): Promise<number> {
  const raw = requireRaw(env);
  const workflowId = `raw-chain-${randomUUID()}`;
  const t0 = performance.now();
  await env.client.workflow.start<typeof rawChainWorkflow>('rawChainWorkflow', {
    workflowId,
    taskQueue: raw.workflowQueue,
    args: [raw.activityQueue, steps],
  });
  await withTimeout(
    env.client.workflow.getHandle(workflowId).result(),
    TASK_DEADLINE_MS + steps * 1000,
    `raw chain ${workflowId}`,
  );
  return since(t0);
}

function requireRaw(env: BenchEnv): NonNullable<BenchEnv['raw']> {
  if (!env.raw) throw new Error('part 1 needs the raw baseline workers');
  return env.raw;
}

/**
 * Runs `warmup` then `tasks` pairs, alternating which kind goes first in each pair, so that drift in
 * machine load (other processes share the two cores) hits both kinds alike; then the chain.
 */
export async function measureOverhead(
  env: BenchEnv,
  tasks: number,
  warmup: number,
  log: (line: string) => void,
): Promise<OverheadResult> {
  log(`[${env.label}] warm-up: ${warmup} Capstan + ${warmup} raw tasks, ${warmup}-step chain`);
  for (let i = 0; i < warmup; i++) {
    await capstanTask(env);
    await rawTask(env);
  }
  await rawChain(env, warmup);

  const capstan: Timed[] = [];
  const raw: Timed[] = [];
  for (let i = 0; i < tasks; i++) {
    env.assertAlive();
    if (i % 2 === 0) {
      capstan.push(await capstanTask(env));
      raw.push(await rawTask(env));
    } else {
      raw.push(await rawTask(env));
      capstan.push(await capstanTask(env));
    }
    if ((i + 1) % 10 === 0 || i + 1 === tasks) log(`[${env.label}] ${i + 1}/${tasks} task pairs done`);
  }

  log(`[${env.label}] chain of ${tasks} no-op activities`);
  const totalMs = await rawChain(env, tasks);

  log(`[${env.label}] reading ${capstan.length + raw.length} histories for the phase breakdown`);
  const breakdown = (runs: Timed[]): Promise<PhaseBreakdown> =>
    phaseBreakdown(
      env.client,
      runs.map((r) => r.id),
      runs.map((r) => r.ms),
    );
  return {
    capstan: summarize(capstan.map((r) => r.ms)),
    raw: summarize(raw.map((r) => r.ms)),
    chain: { steps: tasks, totalMs, perStepMs: totalMs / tasks },
    phases: { capstan: await breakdown(capstan), raw: await breakdown(raw) },
  };
}
