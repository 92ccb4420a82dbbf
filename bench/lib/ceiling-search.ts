/**
 * The two phases of the ceiling bench: a search over rising arrival rates (stopping at the first
 * that does not hold, then bisecting between it and the last that held), and a long run at the
 * highest rate that held.
 */
import type { CpuWindow } from './ceiling-cpu';
import { runStep, type CeilingContext, type StepResult } from './ceiling-step';

/** Settings of both phases. */
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

/** Every search step in order, the highest rate that held, and the long run (absent when no rate held). */
export interface CeilingResult {
  steps: StepResult[];
  held: number | undefined;
  /** The first step that did not hold at the lowest failing rate: where the limit shows. */
  firstFailed: StepResult | undefined;
  sustained: StepResult | undefined;
}

/** Runs the search, then the long run at the highest rate that held. */
export async function runCeiling(ctx: CeilingContext, plan: CeilingPlan): Promise<CeilingResult> {
  const steps: StepResult[] = [];
  let held: number | undefined;
  let failed: StepResult | undefined;
  const step = async (rate: number): Promise<StepResult> => {
    const n = steps.length + 1;
    const label = `step ${n} @ ${rate}/s`;
    ctx.log(`[${label}] ${plan.stepSeconds} s`);
    const result = await runStep(ctx, {
      label,
      prefix: `ceiling-s${String(n).padStart(2, '0')}-`,
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
  let sustained: StepResult | undefined;
  if (held !== undefined) {
    const label = `sustained @ ${held}/s`;
    ctx.log(`[${label}] ${plan.minutes} min`);
    sustained = await runStep(ctx, {
      label,
      prefix: 'ceiling-sustained-',
      rate: held,
      seconds: plan.minutes * 60,
      drainSeconds: plan.finalDrainSeconds,
      sampleEveryS: 5,
      progressEveryS: 30,
      describeCpu: plan.describeCpu,
    });
    ctx.log(`[${label}] ${sustained.holds ? 'held' : `did not hold: ${sustained.why.join('; ')}`}`);
  }
  return { steps, held, firstFailed: failed, sustained };
}
