/** The pipeline workflow: jobs in dependency order, each on a worker of its class, with approvals and rollback. */
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createForgeActivities } from '../activities/forge';
import { FailureTypes } from './contracts/failure-types';
import { nodeClassTaskQueue } from './contracts/node-class';
import { lockPreemptedSignal } from './concurrency-lock-workflow';
import type { createPipelineActivities } from '../activities/pipeline';
import type { JobRecord, PipelineReuse, PipelineRunInput, PipelineRunState } from './contracts/pipeline-run';
import type { PipelineJob } from './contracts/pipeline-spec';
import { checkDecision, decisionRecord } from './approval/gate';
import { approvalUpdate, pipelineStateQuery, type JobApprovalDecision } from './pipeline/definitions';
import { describePipeline } from './pipeline/details';
import { acquireLock, groupNameOfRun, type HeldLock } from './pipeline/locks';
import { runAfterCancel } from './pipeline/after-cancel';
import { jobGate, needsContext } from './pipeline/gates';
import { jobStatusReporter } from './pipeline/job-status';
import { combinedRecord, expandPipeline, type JobUnit } from './pipeline/matrix';
import { runJob, stepName, type JobContext } from './pipeline/run-job';
import { runUnits } from './pipeline/run-units';

type PipelineActivities = ReturnType<typeof createPipelineActivities>;

/**
 * Since this patch a cancelled run waits for its steps' processes to die, then releases its
 * workspaces and concurrency groups itself; before it, it let go at once and left that to its close.
 */
const CANCEL_CLEANLY = 'pipeline-cancel-waits-for-steps';

/**
 * Since this patch `${{ steps.<id>.outputs.<name> }}` and `${{ needs.<job>.outputs.<name> }}` are
 * rendered and jobs publish their `outputs:`; before it, such text reached the step as written.
 */
const STEP_OUTPUTS = 'pipeline-step-outputs';

/**
 * Since this patch jobs and steps have `if:` conditions (GitHub's semantics), `continue-on-error`,
 * job `timeout-minutes` and `defaults.run`, and templates read the trigger (`branch`, `inputs` …).
 */
const CONDITIONS = 'pipeline-conditions';

/**
 * Since this patch each job reports a commit status of its own (`capstan/<pipeline>/<job>`) beside
 * the run's. Matrix jobs came with it; a spec without one expands to the jobs it always ran.
 */
const JOB_STATUSES = 'pipeline-job-matrix-statuses';

/**
 * Since this patch jobs start their `services` on their worker before the first step and stop them after the
 * last, and save the caches their `cache` steps missed once they succeed; before it, neither existed.
 */
const CACHE_SERVICES = 'pipeline-cache-services';

/** Runs a pipeline to its end; throws a `PipelineFailed` failure naming the failed jobs. */
export async function pipelineWorkflow(input: PipelineRunInput): Promise<PipelineRunState> {
  const { spec, trigger } = input;
  const ctx: JobContext = {
    runId: workflowInfo().workflowId,
    spec,
    trigger,
    policy: input.policy,
    cancelCleanly: patched(CANCEL_CLEANLY),
    stepOutputs: patched(STEP_OUTPUTS),
    conditions: patched(CONDITIONS),
    cacheServices: patched(CACHE_SERVICES),
  };
  const jobStatuses = patched(JOB_STATUSES);
  const jobIds = Object.keys(spec.jobs);
  const units = expandPipeline(spec);
  const unitsOf = (id: string): JobUnit[] => units.filter((u) => u.job === id);
  const state: PipelineRunState = {
    name: spec.name,
    trigger,
    status: 'running',
    ...(input.reuse ? { rerunOf: input.reuse.fromRunId } : {}),
    jobs: units.map((unit) => ({
      id: unit.id,
      ...(unit.matrix ? { job: unit.job, matrix: unit.matrix } : {}),
      ...(unit.name !== unit.id ? { name: unit.name } : {}),
      status: 'pending',
      nodeClass: unit.spec['runs-on'],
      steps: unit.spec.steps.map((s, i) => ({ name: stepName(s, i), status: 'pending' })),
    })),
  };
  const recordOf = (id: string): JobRecord => state.jobs.find((j) => j.id === id)!;
  /** A spec job as its dependents see it: its record, or a matrix job's combinations taken together. */
  const jobRecordOf = (id: string): JobRecord => {
    const own = unitsOf(id);
    return own.length === 1 && own[0]!.id === id
      ? recordOf(id)
      : combinedRecord(
          id,
          own.map((u) => recordOf(u.id)),
        );
  };
  const statusClass = units[0]!.spec['runs-on'];
  const reportJob = jobStatuses ? jobStatusReporter(ctx, statusClass) : undefined;
  // Not replayed: current details are workflow metadata, read by the Web UI, not commands.
  ctx.onProgress = () => setCurrentDetails(describePipeline(state));
  ctx.onProgress();
  setHandler(pipelineStateQuery, () => state);
  setHandler(
    approvalUpdate,
    (decision) => {
      const record = recordOf(decision.jobId);
      record.approval = decisionRecord(decision);
      return record;
    },
    { validator: (decision) => validateDecision(input, state, decision) },
  );
  let preemption: { by: string; group: string } | undefined;
  setHandler(lockPreemptedSignal, (taken) => {
    preemption ??= taken;
  });

  const finished = new Map<string, Promise<void>>();
  const start = (id: string): Promise<void> => {
    const existing = finished.get(id);
    if (existing) return existing;
    const job = spec.jobs[id]!;
    const promise = (async () => {
      await Promise.all(job.needs.map(start));
      const records = unitsOf(id).map((u) => recordOf(u.id));
      for (const record of records) {
        const reused = input.reuse?.jobs[record.id];
        // Its log, worker and timings stay those of the run that ran it; reusedFrom says which.
        if (reused)
          Object.assign(record, { ...reused, id: record.id, reusedFrom: reused.reusedFrom ?? input.reuse!.fromRunId });
      }
      if (records.every((r) => r.reusedFrom !== undefined)) {
        ctx.onProgress?.();
        return;
      }
      // A matrix job is needed as a whole: every combination must have succeeded.
      const blocked = job.needs.filter((n) => jobRecordOf(n).status !== 'succeeded');
      const gate = ctx.conditions
        ? jobGate(spec, trigger, id, jobRecordOf)
        : blocked.length > 0
          ? { run: false as const, reason: `needs ${blocked.join(', ')}, which did not succeed` }
          : { run: true as const };
      if (!gate.run) {
        for (const record of records) {
          record.status = 'skipped';
          record.message = gate.reason;
        }
        ctx.onProgress?.();
        return;
      }
      const locks = await jobLocks(ctx, job, (message) => {
        for (const record of records) record.message = message;
        ctx.onProgress?.();
      });
      try {
        // Only direct needs are readable, as in GitHub Actions; validation refuses the rest.
        await runUnits({
          ctx,
          units: unitsOf(id),
          strategy: job.strategy,
          recordOf,
          needs: Object.fromEntries(job.needs.map((n) => [n, jobRecordOf(n).outputs ?? {}])),
          needsCtx: ctx.conditions ? needsContext(job.needs, jobRecordOf) : {},
          report: reportJob,
        });
      } finally {
        for (const lock of locks) await lock.release(ctx.cancelCleanly);
      }
    })();
    finished.set(id, promise);
    return promise;
  };
  const report = commitStatusReporter(ctx, state, statusClass);
  await report('pending', 'running');
  let runLock: HeldLock | undefined;
  try {
    if (spec.concurrency) {
      const group = groupNameOfRun(spec.concurrency.group, trigger.branch);
      runLock = await acquireLock(
        ctx.policy.taskQueuePrefix,
        group,
        ctx.runId,
        spec.concurrency.cancelInProgress,
        (message) => {
          state.message = message;
          ctx.onProgress?.();
        },
        ctx.cancelCleanly,
      );
      state.message = undefined;
    }
    if (input.reuse) await adoptReusedArtifacts(ctx, input.reuse);
    await Promise.all(jobIds.map(start));
  } catch (err) {
    if (!isCancellation(err)) throw err;
    const reason = preemption
      ? `cancelled by run ${preemption.by}, which took concurrency group "${preemption.group}" (cancel-in-progress)`
      : 'the run was cancelled';
    if (ctx.cancelCleanly) {
      // Promise.all gave up at the first cancelled job: the group is let go only once every job's steps are dead.
      await Promise.allSettled(finished.values());
      // Jobs with `if: always()` or `cancelled()` run now, as on GitHub; nothing cancels them.
      if (ctx.conditions)
        await CancellationScope.nonCancellable(() =>
          runAfterCancel(spec, state, reason, jobRecordOf, (id, job, record, needs, needsCtx) =>
            runJob(ctx, id, job, record, needs, needsCtx),
          ),
        );
      await runLock?.release(true);
    }
    state.status = 'cancelled';
    state.message = reason;
    for (const job of state.jobs) {
      if (
        job.status !== 'pending' &&
        job.status !== 'running' &&
        job.status !== 'waiting-approval' &&
        job.status !== 'cancelled'
      )
        continue;
      job.status = 'cancelled';
      job.message = reason;
      job.finishedAt ??= new Date().toISOString();
    }
    ctx.onProgress?.();
    // The run is cancelled, but telling the forge so must still happen.
    await CancellationScope.nonCancellable(() => report('failure', 'cancelled'));
    throw err;
  } finally {
    await runLock?.release();
  }
  // A job that failed with continue-on-error is recorded as failed but does not fail the run.
  const failed = state.jobs.filter((j) => j.status === 'failed' && j.continuedOnError !== true);
  state.status = failed.length > 0 ? 'failed' : 'succeeded';
  ctx.onProgress?.();
  await report(
    failed.length > 0 ? 'failure' : 'success',
    failed.length > 0 ? `failed: ${failed.map((j) => j.id).join(', ')}` : 'all jobs succeeded',
  );
  if (failed.length > 0) {
    throw ApplicationFailure.create({
      type: FailureTypes.pipelineFailed,
      nonRetryable: true,
      details: [state],
      message: `jobs failed: ${failed.map((j) => `${j.id} (${j.message ?? 'failed'})`).join('; ')}`,
    });
  }
  return state;
}

/**
 * Reports the run's state as a commit status on the repository's forge (a no-op for repositories
 * without a status endpoint). A forge that refuses or is down never fails the run: the outcome is
 * kept in the run's state instead.
 */
function commitStatusReporter(
  ctx: JobContext,
  state: PipelineRunState,
  firstClass: string,
): (status: 'pending' | 'success' | 'failure', description: string) => Promise<void> {
  const { reportCommitStatus } = proxyActivities<ReturnType<typeof createForgeActivities>>({
    taskQueue: nodeClassTaskQueue(ctx.policy.taskQueuePrefix, firstClass),
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 5, initialInterval: '2s' },
  });
  return async (status, description) => {
    try {
      const result = await reportCommitStatus.executeWithOptions(
        { summary: `commit status: ${status}, ${description}` },
        [
          {
            repository: ctx.trigger.repository,
            sha: ctx.trigger.sha,
            state: status,
            context: `capstan/${ctx.spec.name}`,
            description: `${description} (${ctx.runId})`,
          },
        ],
      );
      state.commitStatus = result.reported
        ? `reported ${status}`
        : `not reported: ${result.reason ?? 'no status endpoint'}`;
    } catch (err) {
      state.commitStatus = `reporting ${status} failed: ${(err as Error).message}`;
    }
  };
}

/**
 * Copies the artifacts of the jobs a re-run takes over into this run before any job starts, so the
 * jobs that run again download them as if uploaded here and the run lists them as its own.
 */
async function adoptReusedArtifacts(ctx: JobContext, reuse: PipelineReuse): Promise<void> {
  const jobIds = Object.keys(reuse.jobs);
  if (jobIds.length === 0) return;
  // Any worker reaches the artifact store; the first reused job's class surely has one, since it ran there.
  const { copyReusedArtifacts } = proxyActivities<PipelineActivities>({
    taskQueue: nodeClassTaskQueue(ctx.policy.taskQueuePrefix, reuse.jobs[jobIds[0]!]!.nodeClass),
    startToCloseTimeout: '10m',
    retry: { maximumAttempts: 5, initialInterval: '2s' },
  });
  await copyReusedArtifacts.executeWithOptions(
    { summary: `copy the artifacts of ${jobIds.join(', ')} from run ${reuse.fromRunId}` },
    [{ fromRunId: reuse.fromRunId, toRunId: ctx.runId, jobIds }],
  );
}

/**
 * The locks a job takes before it starts, in a fixed order so two runs can never hold one each and
 * wait for the other: its own concurrency group, then its deploy environment (one deploy at a time).
 */
async function jobLocks(ctx: JobContext, job: PipelineJob, onWait: (message: string) => void): Promise<HeldLock[]> {
  const locks: HeldLock[] = [];
  if (job.concurrency) {
    const group = groupNameOfRun(job.concurrency.group, ctx.trigger.branch);
    locks.push(
      await acquireLock(
        ctx.policy.taskQueuePrefix,
        group,
        ctx.runId,
        job.concurrency.cancelInProgress,
        onWait,
        ctx.cancelCleanly,
      ),
    );
  }
  if (job.environment)
    locks.push(
      await acquireLock(
        ctx.policy.taskQueuePrefix,
        `environment:${job.environment.name}`,
        ctx.runId,
        false,
        onWait,
        ctx.cancelCleanly,
      ),
    );
  return locks;
}

function validateDecision(input: PipelineRunInput, state: PipelineRunState, decision: JobApprovalDecision): void {
  const record = state.jobs.find((j) => j.id === decision.jobId);
  if (!record) throw new Error(`no job "${decision.jobId}" in this run`);
  if (record.status !== 'waiting-approval')
    throw new Error(`job "${decision.jobId}" is ${record.status}, not waiting for approval`);
  const environment = input.spec.jobs[decision.jobId]!.environment!;
  const { approvers, allowTriggerer } = environment.approval!;
  const rule = { approvers, requester: input.trigger.triggeredBy, requesterMayDecide: allowTriggerer };
  checkDecision(rule, record, decision, {
    name: `"${decision.jobId}"`,
    requesterDid: 'triggered this run',
    requesterName: `its deploy to ${environment.name}`,
  });
}
