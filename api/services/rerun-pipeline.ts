/** Re-running a pipeline run: its failed jobs (or one job asked for) and their dependents run again; the rest is reused. */
import type { JobRecord, PipelineRunInput, PipelineRunState } from '../../workflows/contracts/pipeline-run';
import { pipelineStateQuery } from '../../workflows/pipeline/definitions';
import { actingPrincipal } from '../auth/principal';
import { ApiError } from '../errors';
import { runInputOf } from './dag-run-data';
import type { ApiDeps } from './deps';
import { runSummary } from './run-views';
import { startPipeline } from './start-pipeline';
import type { StartedRun } from './start-run';

/** Which jobs to run again: the failed ones (with everything downstream), or one job (with everything downstream). */
export interface RerunRequest {
  /** Re-run this job and its dependents only; without it, the failed, cancelled and skipped jobs. */
  job?: string;
}

/**
 * Starts a re-run of a finished pipeline run: a new run of the same spec and commit whose jobs
 * outside the re-run set are taken over (status, outputs, artifacts) instead of run. Like GitHub's
 * "Re-run failed jobs" and "Re-run job": the jobs picked and every job that needs them run again.
 */
export async function rerunPipeline(
  deps: ApiDeps,
  runId: string,
  request: RerunRequest,
  idempotencyKey?: string,
): Promise<StartedRun & { reused: number; rerun: number }> {
  const handle = deps.client.workflow.getHandle(runId);
  const summary = runSummary(await handle.describe());
  if (summary.status === 'running')
    throw new ApiError(409, 'run_not_retryable', `run "${runId}" is running; wait for it to end or cancel it first`);
  if (request.job === undefined && summary.status === 'completed')
    throw new ApiError(
      409,
      'run_not_retryable',
      `run "${runId}" succeeded: no job failed; name a job to run it again ({"job": "<id>"})`,
    );
  const [input, state] = await Promise.all([
    runInputOf(deps, runId) as Promise<PipelineRunInput>,
    handle.query(pipelineStateQuery) as Promise<PipelineRunState>,
  ]);
  const rerun = rerunSet(input, state.jobs, request.job);
  const jobs: Record<string, JobRecord> = {};
  for (const record of state.jobs) {
    if (rerun.has(record.id)) continue;
    // A job re-run on request leaves the others as they ended; a run with failures stays failed.
    jobs[record.id] = record;
  }
  const trigger = { ...input.trigger, triggeredBy: actingPrincipal()!.name };
  // A re-run of a re-run takes over from the original run's records, which already say where they came from.
  const started = await startPipeline(deps, input.spec, trigger, idempotencyKey, { fromRunId: runId, jobs });
  return { ...started, reused: Object.keys(jobs).length, rerun: rerun.size };
}

/** The job ids that run again, dependents included; 422/409 naming the job when it cannot be re-run on its own. */
function rerunSet(input: PipelineRunInput, records: JobRecord[], job: string | undefined): Set<string> {
  const byId = new Map(records.map((r) => [r.id, r]));
  const picked: string[] = [];
  if (job !== undefined) {
    if (!byId.has(job))
      throw new ApiError(422, 'unknown_job', `the run has no job "${job}"`, [
        { field: 'job', message: `must be one of ${[...byId.keys()].join(', ')}` },
      ]);
    const unmet = needsOf(input, records, job).filter((n) => byId.get(n)?.status !== 'succeeded');
    if (unmet.length > 0)
      throw new ApiError(
        409,
        'needs_not_met',
        `job "${job}" needs ${unmet.join(', ')}, which did not succeed; re-run the failed jobs instead`,
        [{ field: 'job', message: `needs ${unmet.join(', ')}` }],
      );
    picked.push(job);
  } else {
    for (const record of records) if (record.status !== 'succeeded') picked.push(record.id);
  }
  const rerun = new Set(picked);
  // Spreads along `needs` until nothing changes: spec order is not dependency order.
  for (let grown = true; grown;) {
    grown = false;
    for (const record of records) {
      if (rerun.has(record.id)) continue;
      if (needsOf(input, records, record.id).some((n) => rerun.has(n))) {
        rerun.add(record.id);
        grown = true;
      }
    }
  }
  return rerun;
}

/** The job records a job record waits for: every combination of a matrix job it needs. */
function needsOf(input: PipelineRunInput, records: JobRecord[], jobId: string): string[] {
  const needs = input.spec.jobs[specJobId(jobId)]?.needs ?? [];
  return records.filter((r) => needs.includes(specJobId(r.id))).map((r) => r.id);
}

/** The spec's job id of a record: `test` for `test[2]`, the third combination of matrix job `test`. */
function specJobId(recordId: string): string {
  return recordId.replace(/\[\d+\]$/, '');
}
