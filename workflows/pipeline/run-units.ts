/**
 * Runs the jobs one spec job expands to: a plain job as it always ran, or a matrix job's combinations
 * side by side (at most `max-parallel` at once), where with `fail-fast` one failed combination cancels
 * the others still pending or running. Each combination is a job of its own (worker, workspace, logs,
 * record, commit status).
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { JobRecord } from '../contracts/pipeline-run';
import type { JobStrategy } from '../contracts/pipeline-matrix';
import type { JobStatusReport } from './job-status';
import type { JobUnit } from './matrix';
import { runJob, type JobContext } from './run-job';
import type { NeedContext } from './gates';
import type { TemplateScope } from './templates';

/** What running one spec job's units takes. */
export interface UnitsRun {
  ctx: JobContext;
  units: JobUnit[];
  strategy?: JobStrategy;
  recordOf: (id: string) => JobRecord;
  /** Outputs of the jobs it needs, by job id. */
  needs: TemplateScope['needs'];
  /** What conditions read of the jobs it needs (results and outputs); empty for runs before conditions. */
  needsCtx: Record<string, NeedContext>;
  /** Sends per-job commit statuses; absent for runs started before they were patched in. */
  report?: JobStatusReport;
}

/** Runs every unit to its end; throws only when the run itself is cancelled. */
export async function runUnits(run: UnitsRun): Promise<void> {
  if (!run.strategy) {
    for (const unit of run.units) await runUnit(run, unit, () => undefined);
    return;
  }
  const { units, strategy, recordOf } = run;
  const width = Math.min(strategy['max-parallel'] ?? units.length, units.length);
  let next = 0;
  let failed: JobUnit | undefined;
  const running = new Map<string, CancellationScope>();
  const reason = (): string | undefined =>
    failed ? `cancelled because ${failed.id} (${failed.name}) failed (fail-fast)` : undefined;
  // Lanes pull the next combination in matrix order, so at most `width` run at once.
  const lane = async (): Promise<void> => {
    while (next < units.length && !failed) {
      const unit = units[next++]!;
      const scope = new CancellationScope();
      running.set(unit.id, scope);
      try {
        await scope.run(() => runUnit(run, unit, reason));
      } catch (err) {
        // A sibling's fail-fast cancellation ends here; the run's own cancellation goes on up.
        if (!isCancellation(err) || !failed || CancellationScope.current().consideredCancelled) throw err;
      } finally {
        running.delete(unit.id);
      }
      if (strategy['fail-fast'] && !failed && recordOf(unit.id).status === 'failed') {
        failed = unit;
        for (const sibling of running.values()) sibling.cancel();
      }
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: width }, lane));
  for (const unit of units) {
    const record = recordOf(unit.id);
    if (!failed || record.status !== 'pending') continue;
    record.status = 'cancelled';
    record.message = reason();
    record.finishedAt = new Date().toISOString();
    await run.report?.(unit, record, 'cancelled', record.message);
  }
  run.ctx.onProgress?.();
  const rejected = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** One job with its commit statuses: pending as it starts, its verdict as it ends. */
async function runUnit(run: UnitsRun, unit: JobUnit, cancelReason: () => string | undefined): Promise<void> {
  const record = run.recordOf(unit.id);
  // A re-run took this combination over from the run it re-runs.
  if (record.reusedFrom !== undefined) return;
  await run.report?.(unit, record, 'pending');
  try {
    await runJob(run.ctx, unit.id, unit.spec, record, run.needs, run.needsCtx, unit.matrix);
  } catch (err) {
    if (isCancellation(err)) {
      const reason = cancelReason();
      if (reason) record.message = reason;
      run.ctx.onProgress?.();
      // Without a sibling's failure it is the run that was cancelled; the run's own status says by whom.
      await run.report?.(unit, record, 'cancelled', reason ?? 'cancelled with the run');
    }
    throw err;
  }
  await run.report?.(unit, record, record.status === 'succeeded' ? 'success' : 'failure');
}
