/**
 * The phases of the ceiling bench: a search over rising arrival rates (stopping at the first that
 * does not hold, then bisecting between it and the last that held), a long run at the highest rate
 * that held, and the same search on raw Temporal as the baseline.
 */
import type { CpuWindow } from './ceiling-cpu';
import { runShape, type RunShape } from './ceiling-runs';
import { runStep, type Batch, type CeilingContext, type StepResult } from './ceiling-step';

/** Settings of the phases. */
export interface CeilingPlan {
  rates: number[];
  stepSeconds: number;
  /** Bisection steps between the last rate that held and the first that did not. */
  refine: number;
  stepDrainSeconds: number;
  minutes: number;
  finalDrainSeconds: number;
  describeCpu(window: CpuWindow): string;
}

/** The steps of one search, the highest rate that held, and the lowest that did not (where the limit shows). */
export interface SearchResult {
  steps: StepResult[];
  held: number | undefined;
  firstFailed: StepResult | undefined;
}

/** Capstan's search and long run, and raw Temporal's search when it ran. */
export interface CeilingResult extends SearchResult {
  sustained: StepResult | undefined;
  /** What one task's run asked of Temporal. */
  shape: RunShape | undefined;
  raw: SearchResult | undefined;
  rawShape: RunShape | undefined;
}

/** Steps at the plan's rates with batches from `batchFor(prefix)`, then `refine` bisection steps. */
export async function runSearch(
  ctx: CeilingContext,
  plan: CeilingPlan,
  tag: string,
  batchFor: (prefix: string) => Batch,
): Promise<SearchResult> {
  const steps: StepResult[] = [];
  let held: number | undefined;
  let failed: StepResult | undefined;
  const step = async (rate: number): Promise<StepResult> => {
    const n = steps.length + 1;
    const label = `${tag} step ${n} @ ${rate}/s`;
    ctx.log(`[${label}] ${plan.stepSeconds} s`);
    const result = await runStep(ctx, {
      label,
      batch: batchFor(`${tag}-ceiling-s${String(n).padStart(2, '0')}-`),
      rate,
      seconds: plan.stepSeconds,
      drainSeconds: plan.stepDrainSeconds,
      sampleEveryS: 2,
      progressEveryS: 0,
      describeCpu: plan.describeCpu,
    });
    steps.push(result);
    ctx.log(`[${label}] ${result.holds ? 'held' : `did not hold: ${result.why.join('; ')}`}`);
    // A pause so the next step starts from an idle stack, not from this one's tail.
    await new Promise((r) => setTimeout(r, 3000));
    return result;
  };
  for (const rate of plan.rates) {
    const result = await step(rate);
    if (!result.holds) {
      failed = result;
      break;
    }
    held = rate;
  }
  if (failed && held !== undefined) {
    let low = held;
    let high = failed.rate;
    for (let i = 0; i < plan.refine; i++) {
      const mid = Math.round((low + high) / 2);
      if (mid <= low || mid >= high) break;
      const result = await step(mid);
      if (result.holds) low = mid;
      else {
        high = mid;
        failed = result;
      }
    }
    held = low;
  }
  return { steps, held, firstFailed: failed };
}

function shapeOf(ctx: CeilingContext, filter: string): Promise<RunShape | undefined> {
  return runShape(ctx.client, filter).catch((err: unknown) => {
    ctx.log(`reading one run's history failed: ${(err as Error).message}`);
    return undefined;
  });
}

/** Capstan's search, its long run at the highest rate that held, then raw Temporal's search when `rawBatchFor` is given. */
export async function runCeiling(
  ctx: CeilingContext,
  plan: CeilingPlan,
  apiBatchFor: (prefix: string) => Batch,
  rawBatchFor: ((prefix: string) => Batch) | undefined,
): Promise<CeilingResult> {
  const search = await runSearch(ctx, plan, 'capstan', apiBatchFor);
  let sustained: StepResult | undefined;
  if (search.held !== undefined) {
    const label = `sustained @ ${search.held}/s`;
    ctx.log(`[${label}] ${plan.minutes} min`);
    sustained = await runStep(ctx, {
      label,
      batch: apiBatchFor('capstan-ceiling-sustained-'),
      rate: search.held,
      seconds: plan.minutes * 60,
      drainSeconds: plan.finalDrainSeconds,
      sampleEveryS: 5,
      progressEveryS: 30,
      describeCpu: plan.describeCpu,
    });
    ctx.log(`[${label}] ${sustained.holds ? 'held' : `did not hold: ${sustained.why.join('; ')}`}`);
  }
  const shape = search.steps[0] ? await shapeOf(ctx, search.steps[0].filter) : undefined;
  let raw: SearchResult | undefined;
  let rawShape: RunShape | undefined;
  if (rawBatchFor) {
    await new Promise((r) => setTimeout(r, 3000));
    raw = await runSearch(ctx, plan, 'raw', rawBatchFor);
    rawShape = raw.steps[0] ? await shapeOf(ctx, raw.steps[0].filter) : undefined;
  }
  return { ...search, sustained, shape, raw, rawShape };
}
