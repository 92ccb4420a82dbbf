/**
 * One load step of the ceiling bench: light tasks started through `POST /v1/tasks` at a fixed
 * arrival rate (open loop), the backlog (sent − ended, from the runs' own states) sampled while it
 * runs, then a bounded wait for every accepted task to end, and the verdict: did the rate hold?
 */
import type { Client } from '@temporalio/client';
import { loadavg } from 'node:os';
import type { CpuSampler, CpuWindow } from './ceiling-cpu';
import { byName, byWorkflowId, countEnded, endStates, runDurations } from './ceiling-runs';
import type { RawQueues } from './workers';
import { runOpenLoop, type TimedOutcome } from './open-loop';
import { summarize, type Summary } from './stats';

/** What every step runs against. */
export interface CeilingContext {
  client: Client;
  sampler: CpuSampler;
  /** Throws if a process of the stack died. */
  assertAlive(): void;
  log(line: string): void;
}

/** How to run one step. */
export interface StepOptions {
  label: string;
  /** How the step starts its tasks, and the visibility filter that finds them again. */
  batch: Batch;
  rate: number;
  seconds: number;
  /** Bound on the wait, after the last answer, for every accepted task to end. */
  drainSeconds: number;
  /** Seconds between backlog samples. */
  sampleEveryS: number;
  /** Seconds between progress lines (0: none but the last). */
  progressEveryS: number;
  /** Called with each progress line's CPU window, to print the processes' shares beside it. */
  describeCpu(window: CpuWindow): string;
}

/** How one step starts task `i`, and the visibility filter (see byName) that selects the step's runs. */
export interface Batch {
  start(i: number): Promise<TimedOutcome>;
  filter: string;
}

/** Tasks named `<prefix><i>` started through `POST /v1/tasks` of the API at `apiUrl`. */
export function apiBatch(apiUrl: string, token: string, nodeClass: string, prefix: string): Batch {
  const auth = `Bearer ${token}`;
  return {
    filter: byName(prefix),
    start: async (i) => {
      const res = await fetch(`${apiUrl}/v1/tasks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: auth },
        body: JSON.stringify({ nodeClass, command: 'true', name: `${prefix}${i}` }),
      });
      await res.arrayBuffer();
      return { ok: res.status === 202, label: String(res.status) };
    },
  };
}

/** Raw Temporal's equivalent: a one-no-op-activity workflow with id `<prefix><i>`, started by the client. */
export function rawBatch(client: Client, raw: RawQueues, prefix: string): Batch {
  return {
    filter: byWorkflowId(prefix),
    start: async (i) => {
      await client.workflow.start('rawTaskWorkflow', {
        taskQueue: raw.workflowQueue,
        workflowId: `${prefix}${i}`,
        args: [raw.activityQueue],
      });
      return { ok: true, label: 'started' };
    },
  };
}

/** One backlog sample, `t` seconds into the step. */
export interface BacklogSample {
  t: number;
  sent: number;
  ended: number;
}

/** The figures and verdict of one step. */
export interface StepResult {
  label: string;
  /** The visibility filter of the step's runs. */
  filter: string;
  rate: number;
  seconds: number;
  sent: number;
  accepted: number;
  /** Refused starts (non-202 answers) and failed requests, by status or error name. */
  errors: Record<string, number>;
  /** Scheduled send → answer of the POSTs, ms. */
  post: Summary;
  maxSendLagMs: number;
  backlog: BacklogSample[];
  /** Mean backlog over the step's second and last quarter. */
  backlogMid: number;
  backlogEnd: number;
  /** Seconds after the last answer until every accepted task had ended; undefined: not within the bound. */
  drainSeconds: number | undefined;
  /** End states of the step's runs (Completed, Failed, ...). */
  states: Record<string, number>;
  /** StartTime → CloseTime of the step's ended runs, ms. */
  latency: Summary;
  /** CPU over the sending period. */
  cpu: CpuWindow;
  loadStart: string;
  loadEnd: string;
  holds: boolean;
  /** Why it did not hold (empty when it did). */
  why: string[];
}

/** The 1-minute load average (with 5 and 15). */
export function loadNow(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

const mean = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length);

/**
 * Whether the backlog grew through the step: its mean over the last quarter against the second
 * quarter, with room for noise (a quarter of a second's arrivals, at least 5 tasks, and 25 %). A
 * rate above capacity by 10 % grows the backlog by 0.05 × rate × step-seconds between those quarters.
 */
export function backlogGrew(
  samples: BacklogSample[],
  seconds: number,
  rate: number,
): { mid: number; end: number; grew: boolean } {
  const q = seconds / 4;
  const of = (from: number, to: number): number =>
    mean(samples.filter((s) => s.t >= from && s.t < to).map((s) => s.sent - s.ended));
  const mid = of(q, 2 * q);
  const end = of(3 * q, 4 * q + 1);
  const grew = Number.isFinite(mid) && Number.isFinite(end) && end > mid * 1.25 + Math.max(5, rate * 0.25);
  return { mid, end, grew };
}

/** Runs one step and judges it. */
export async function runStep(ctx: CeilingContext, options: StepOptions): Promise<StepResult> {
  ctx.assertAlive();
  const { rate, seconds, batch } = options;
  const loadStart = loadNow();
  const cpuFrom = ctx.sampler.mark();
  let sent = 0;
  let accepted = 0;
  const errors: Record<string, number> = {};
  const samples: BacklogSample[] = [];
  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  let lastProgress = { at: 0, mark: cpuFrom };
  const progress = (ended: number): void => {
    const mark = ctx.sampler.mark();
    const cpu = options.describeCpu(ctx.sampler.window(lastProgress.mark, mark));
    lastProgress = { at: elapsed(), mark };
    const errs = Object.values(errors).reduce((s, n) => s + n, 0);
    ctx.log(
      `[${options.label}] ${elapsed().toFixed(0)} s: sent ${sent}, accepted ${accepted}, ended ${ended}, backlog ${sent - ended}, errors ${errs}, load ${loadNow()}; CPU ${cpu}`,
    );
  };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, options.sampleEveryS * 1000));
      if (!sampling) break;
      const at = elapsed();
      const sentThen = sent;
      const ended = await countEnded(ctx.client, batch.filter).catch(() => NaN);
      if (Number.isFinite(ended)) samples.push({ t: at, sent: sentThen, ended });
      if (options.progressEveryS > 0 && at - lastProgress.at >= options.progressEveryS - 0.5) progress(ended);
    }
  })();
  const request = async (i: number): Promise<TimedOutcome> => {
    sent++;
    try {
      const outcome = await batch.start(i);
      if (outcome.ok) accepted++;
      else errors[outcome.label] = (errors[outcome.label] ?? 0) + 1;
      return outcome;
    } catch (err) {
      const label = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.name : 'error');
      errors[label] = (errors[label] ?? 0) + 1;
      return { ok: false, label };
    }
  };
  let loop;
  try {
    loop = await runOpenLoop(rate, seconds, request);
  } finally {
    sampling = false;
    await sampler;
  }
  const cpu = ctx.sampler.window(cpuFrom);
  const answered = performance.now();
  let drainSeconds: number | undefined;
  let ended = 0;
  for (;;) {
    ended = await countEnded(ctx.client, batch.filter);
    if (ended >= accepted) {
      drainSeconds = (performance.now() - answered) / 1000;
      break;
    }
    if (performance.now() - answered > options.drainSeconds * 1000) break;
    ctx.assertAlive();
    await new Promise((r) => setTimeout(r, 1000));
  }
  progress(ended);
  const states = await endStates(ctx.client, batch.filter);
  const latency = summarize(await runDurations(ctx.client, batch.filter));
  const { mid, end, grew } = backlogGrew(samples, seconds, rate);
  const why: string[] = [];
  const errorCount = Object.values(errors).reduce((s, n) => s + n, 0);
  if (errorCount > 0) why.push(`${errorCount} POST errors ${JSON.stringify(errors)}`);
  if (loop.maxSendLagMs > 1000)
    why.push(
      `the bench sent up to ${(loop.maxSendLagMs / 1000).toFixed(1)} s late (the load generator could not keep the rate)`,
    );
  if (grew) why.push(`the backlog grew (mean ${mid.toFixed(0)} in the 2nd quarter, ${end.toFixed(0)} in the last)`);
  if (drainSeconds === undefined)
    why.push(
      `${accepted - ended} of ${accepted} accepted tasks had not ended ${options.drainSeconds} s after the step`,
    );
  const notCompleted = Object.entries(states).filter(([s, n]) => s !== 'Completed' && n > 0);
  if (notCompleted.length > 0) why.push(`runs ended ${notCompleted.map(([s, n]) => `${s} ×${n}`).join(', ')}`);
  return {
    label: options.label,
    filter: batch.filter,
    rate,
    seconds,
    sent,
    accepted,
    errors,
    post: loop.latency,
    maxSendLagMs: loop.maxSendLagMs,
    backlog: samples,
    backlogMid: mid,
    backlogEnd: end,
    drainSeconds,
    states,
    latency,
    cpu,
    loadStart,
    loadEnd: loadNow(),
    holds: why.length === 0,
    why,
  };
}
