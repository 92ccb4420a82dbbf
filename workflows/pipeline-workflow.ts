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
import type { JobRecord, PipelineRunInput, PipelineRunState } from './contracts/pipeline-run';
import type { PipelineJob } from './contracts/pipeline-spec';
import { checkDecision, decisionRecord } from './approval/gate';
import { approvalUpdate, pipelineStateQuery, type JobApprovalDecision } from './pipeline/definitions';
import { describePipeline } from './pipeline/details';
import { acquireLock, groupNameOfRun, type HeldLock } from './pipeline/locks';
import { runJob, stepName, type JobContext } from './pipeline/run-job';

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
    cacheServices: patched(CACHE_SERVICES),
  };
  const jobIds = Object.keys(spec.jobs);
  const state: PipelineRunState = {
    name: spec.name,
    trigger,
    status: 'running',
    jobs: jobIds.map((id) => ({
      id,
      status: 'pending',
      nodeClass: spec.jobs[id]!['runs-on'],
      steps: spec.jobs[id]!.steps.map((s, i) => ({ name: stepName(s, i), status: 'pending' })),
    })),
  };
  const recordOf = (id: string): JobRecord => state.jobs.find((j) => j.id === id)!;
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
      const record = recordOf(id);
      const blocked = job.needs.filter((n) => recordOf(n).status !== 'succeeded');
      if (blocked.length > 0) {
        record.status = 'skipped';
        record.message = `needs ${blocked.join(', ')}, which did not succeed`;
        ctx.onProgress?.();
        return;
      }
      const locks = await jobLocks(ctx, job, (message) => {
        record.message = message;
        ctx.onProgress?.();
      });
      try {
        // Only direct needs are readable, as in GitHub Actions; validation refuses the rest.
        await runJob(ctx, id, job, record, Object.fromEntries(job.needs.map((n) => [n, recordOf(n).outputs ?? {}])));
      } finally {
        for (const lock of locks) await lock.release(ctx.cancelCleanly);
      }
    })();
    finished.set(id, promise);
    return promise;
  };
  const report = commitStatusReporter(ctx, state);
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
    await Promise.all(jobIds.map(start));
  } catch (err) {
    if (!isCancellation(err)) throw err;
    if (ctx.cancelCleanly) {
      // Promise.all gave up at the first cancelled job: the group is let go only once every job's steps are dead.
      await Promise.allSettled(finished.values());
      await runLock?.release(true);
    }
    const reason = preemption
      ? `cancelled by run ${preemption.by}, which took concurrency group "${preemption.group}" (cancel-in-progress)`
      : 'the run was cancelled';
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
  const failed = state.jobs.filter((j) => j.status === 'failed');
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
): (status: 'pending' | 'success' | 'failure', description: string) => Promise<void> {
  const firstClass = Object.values(ctx.spec.jobs)[0]!['runs-on'];
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
