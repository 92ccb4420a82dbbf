/**
 * Jobs that run after their run was cancelled, as on GitHub: a job whose `if:` calls always() or
 * cancelled() (a cleanup or notify job) still runs once the cancelled jobs' steps are dead, with
 * cancelled() true. The caller runs this in a scope the cancellation cannot reach.
 */
import type { JobRecord, PipelineRunState } from '../contracts/pipeline-run';
import type { PipelineJob, PipelineSpec } from '../contracts/pipeline-spec';
import { calledFunctions } from '../dag/expression';
import { parseCondition } from './conditions';
import { jobGate, needsContext, type NeedContext } from './gates';
import type { TemplateScope } from './templates';

/** Runs one job to its end with its needs' outputs and contexts (runJob, bound to the run). */
export type JobRunner = (
  id: string,
  job: PipelineJob,
  record: JobRecord,
  needs: TemplateScope['needs'],
  needsCtx: Record<string, NeedContext>,
) => Promise<void>;

/**
 * Marks every job that did not end as cancelled with `reason`, except the jobs that ask to run after
 * a cancellation, which are run in dependency order (one at a time) when their condition holds.
 * `recordOf` gives a job of the spec as its dependents see it (a matrix job's combinations together).
 * Jobs with an environment or a concurrency group are not run: their locks could make a cancelled
 * run wait on other runs.
 */
export async function runAfterCancel(
  spec: PipelineSpec,
  state: PipelineRunState,
  reason: string,
  recordOf: (jobId: string) => JobRecord,
  run: JobRunner,
): Promise<void> {
  const unfinished = (r: JobRecord): boolean =>
    r.status === 'pending' || r.status === 'running' || r.status === 'waiting-approval';
  // Combinations of a matrix job (records with a `job`) are cancelled with the rest.
  const candidates = state.jobs.filter(
    (r) => r.status === 'pending' && r.job === undefined && asksToRunAfterCancel(spec.jobs[r.id]!),
  );
  for (const record of state.jobs) {
    if (!unfinished(record) || candidates.includes(record)) continue;
    record.status = 'cancelled';
    record.message = reason;
    record.finishedAt ??= new Date().toISOString();
  }
  let waiting = candidates;
  while (waiting.length > 0) {
    const ready = waiting.find((r) => spec.jobs[r.id]!.needs.every((n) => !unfinished(recordOf(n))));
    // A candidate behind another candidate waits for it; the loop ends, since needs has no cycle.
    if (!ready) break;
    waiting = waiting.filter((r) => r !== ready);
    const job = spec.jobs[ready.id]!;
    if (job.environment || job.concurrency) {
      ready.status = 'cancelled';
      ready.message = `${reason}; a job with an environment or concurrency group does not run after a cancellation`;
      continue;
    }
    const gate = jobGate(spec, state.trigger, ready.id, recordOf, true);
    if (!gate.run) {
      ready.status = 'skipped';
      ready.message = gate.reason;
      continue;
    }
    const outputs = Object.fromEntries(job.needs.map((n) => [n, recordOf(n).outputs ?? {}]));
    await run(ready.id, job, ready, outputs, needsContext(job.needs, recordOf));
  }
}

/** Whether the job's condition says it runs whatever happened before: always() or cancelled(). */
function asksToRunAfterCancel(job: PipelineJob): boolean {
  if (job.if === undefined) return false;
  try {
    const fns = calledFunctions(parseCondition(job.if));
    return fns.has('always') || fns.has('cancelled');
  } catch {
    // Validation refuses a condition that does not parse; such a job is cancelled with the rest.
    return false;
  }
}
