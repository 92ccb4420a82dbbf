/** A job's `timeout-minutes`: its steps run in a cancellation scope that a timer cancels, which kills the running step's process. */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { StepRecord } from '../contracts/pipeline-run';

/** How the steps of a job try ended: the first failed step's index, and whether the job's time ran out. */
export interface StepsEnd {
  failed: number | undefined;
  timedOut: boolean;
}

/**
 * Runs `steps` until `deadline` (workflow time, ms; none when undefined). When it passes, the scope is
 * cancelled, so the running step's activity is cancelled and its worker kills the process group; the
 * step is then recorded as failed by the timeout and the steps after it as skipped. A cancellation of
 * the run itself is not a timeout and goes on up.
 */
export async function withJobTimeout(
  deadline: number | undefined,
  minutes: number,
  records: StepRecord[],
  steps: () => Promise<number | undefined>,
): Promise<StepsEnd> {
  if (deadline === undefined) return { failed: await steps(), timedOut: false };
  try {
    return { failed: await CancellationScope.withTimeout(Math.max(1, deadline - Date.now()), steps), timedOut: false };
  } catch (err) {
    if (!isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
    const now = new Date().toISOString();
    let killed: number | undefined;
    records.forEach((rec, i) => {
      if (rec.status === 'running' || rec.status === 'cancelled') {
        rec.status = 'failed';
        rec.message = `killed: the job's timeout-minutes (${minutes}) ran out${rec.message && rec.message !== 'cancelled' ? ` (${rec.message})` : ''}`;
        rec.finishedAt ??= now;
        killed ??= i;
      } else if (rec.status === 'pending') {
        rec.status = 'skipped';
        rec.message = 'the job timed out before this step';
      }
    });
    return { failed: killed, timedOut: true };
  }
}
