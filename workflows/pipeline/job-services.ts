/**
 * The workflow side of a job's services and caches: start the services on the job's worker before its first
 * step, stop them after its last, and save the caches its cache steps missed once the job has succeeded.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { createPipelineActivities, JobClaim } from '../../activities/pipeline';
import type { JobRecord, ServiceRecord, StepRecord } from '../contracts/pipeline-run';
import type { PipelineJob } from '../contracts/pipeline-spec';
import { releaseOptions, stepOptions } from './step-options';
import type { JobContext } from './run-job';

type PipelineActivities = ReturnType<typeof createPipelineActivities>;

/** A cache step that missed its key: what to save after the job's last step. */
export interface PendingCacheSave {
  index: number;
  key: string;
  paths: string[];
}

/** Whether the job declares services. */
export function hasServices(job: PipelineJob): boolean {
  return Object.keys(job.services ?? {}).length > 0;
}

/** The variables the job's services declare, which its steps see too (the job's own env wins a clash). */
export function servicesEnv(job: PipelineJob): Record<string, string> {
  return Object.assign({}, ...Object.values(job.services ?? {}).map((s) => s.env)) as Record<string, string>;
}

/**
 * Starts the job's services on its worker and waits until they are ready. Returns why they could not be
 * (a service exited or never became ready, its log tail quoted), or undefined; a lost worker or a
 * cancellation is thrown for the caller to handle as for a step.
 */
export async function startServices(
  ctx: JobContext,
  jobId: string,
  job: PipelineJob,
  claim: JobClaim,
  restart: number,
  record: JobRecord,
  env: Record<string, string>,
): Promise<string | undefined> {
  const services = job.services ?? {};
  const longest = Math.max(...Object.values(services).map((s) => s.ready?.['timeout-seconds'] ?? 60));
  const { startJobServices } = proxyActivities<PipelineActivities>(
    // Each service may take its whole readiness timeout, one after the other.
    stepOptions(claim.workerQueue, longest * Object.keys(services).length + 60, ctx.policy, ctx.cancelCleanly),
  );
  record.services = Object.keys(services).map((name) => ({ name, status: 'starting' }));
  ctx.onProgress?.();
  try {
    record.services = await startJobServices.executeWithOptions(
      { summary: `${jobId}: start services ${Object.keys(services).join(', ')} on ${claim.worker}` },
      [{ runId: ctx.runId, jobId, restart, services, env }],
    );
    ctx.onProgress?.();
    return undefined;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (isCancellation(err) || !(cause instanceof ApplicationFailure)) throw err;
    const reported = cause.details?.[0] as ServiceRecord[] | undefined;
    if (reported) record.services = reported;
    ctx.onProgress?.();
    return cause.message;
  }
}

/** Stops the job's services on its worker and records how they ended; a worker that is gone took them with it. */
export async function stopServices(ctx: JobContext, jobId: string, claim: JobClaim, record: JobRecord): Promise<void> {
  const { stopJobServices } = proxyActivities<PipelineActivities>(releaseOptions(claim.workerQueue));
  const stopped = await stopJobServices
    .executeWithOptions({ summary: `${jobId}: stop its services on ${claim.worker}` }, [{ runId: ctx.runId, jobId }])
    .catch(() => []);
  const now = new Date().toISOString();
  for (const service of record.services ?? []) {
    const found = stopped.find((s) => s.name === service.name);
    if (service.status !== 'failed') service.status = 'stopped';
    service.stoppedAt = now;
    if (found?.exitedEarly) service.message = `exited with code ${found.exitCode ?? '?'} while the job ran`;
  }
  ctx.onProgress?.();
}

/**
 * Saves each cache that a cache step missed, after the job succeeded. A save that fails (too large, a store
 * error) is noted on its step and does not fail the job, as on GitHub.
 */
export async function saveCaches(
  ctx: JobContext,
  jobId: string,
  claim: JobClaim,
  saves: PendingCacheSave[],
  steps: StepRecord[],
): Promise<void> {
  const { saveJobCache } = proxyActivities<PipelineActivities>(
    stepOptions(claim.workerQueue, 3600, ctx.policy, ctx.cancelCleanly),
  );
  for (const save of saves) {
    const rec = steps[save.index]!;
    try {
      const result = await saveJobCache.executeWithOptions(
        { summary: `${jobId}: save cache "${save.key}" on ${claim.worker}` },
        [
          {
            runId: ctx.runId,
            jobId,
            logName: `post-${save.index}`,
            trigger: ctx.trigger,
            key: save.key,
            paths: save.paths,
          },
        ],
      );
      rec.message = [rec.message, result.message].filter(Boolean).join('; ');
    } catch (err) {
      if (isCancellation(err)) throw err;
      const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
      rec.message = [rec.message, `cache not saved: ${(cause as Error).message}`].filter(Boolean).join('; ');
    }
  }
  ctx.onProgress?.();
}
