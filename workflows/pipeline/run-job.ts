/** Runs one pipeline job: approval, a workspace on one worker of its class, its steps there, rollback on failure. */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  isCancellation,
  proxyActivities,
  sleep,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { createDeploymentActivities, createPipelineActivities, JobClaim } from '../../activities/pipeline';
import type { JobRecord, PipelineTrigger, StepRecord } from '../contracts/pipeline-run';
import type { PipelineJob, PipelineSpec, PipelineStep } from '../contracts/pipeline-spec';
import { stepTimeoutSeconds } from '../contracts/step-timeout';
import { awaitApproval } from '../approval/gate';
import { nodeClassTaskQueue } from '../contracts/node-class';
import { stackWorkflowId } from '../contracts/stack-ids';
import { executeStackTask } from '../stack/stack-task';
import { stepSummary, type StepPlace } from '../summaries';
import { backoffMs } from '../task-execution';
import type { Gate } from './conditions';
import { runFacts, stepGate, type NeedContext } from './gates';
import { withJobTimeout } from './job-timeout';
import { renderEnv, renderJobEnv, renderJobOutputs, renderStep } from './render-step';
import { withJobDefaults } from './step-defaults';
import { claimOptions, releaseOptions, stepOptions, type PipelinePolicy } from './step-options';
import {
  hasServices,
  saveCaches,
  servicesEnv,
  startServices,
  stopServices,
  type PendingCacheSave,
} from './job-services';
import type { RunFacts, TemplateScope } from './templates';

type PipelineActivities = ReturnType<typeof createPipelineActivities>;
type DeploymentActivities = ReturnType<typeof createDeploymentActivities>;

/** How often a job is restarted from its first step on another worker after losing its worker. */
const MAX_JOB_RESTARTS = 3;

/** What a job needs to know about its run. */
export interface JobContext {
  runId: string;
  spec: PipelineSpec;
  trigger: PipelineTrigger;
  policy: PipelinePolicy & { taskQueuePrefix: string };
  /** A cancelled run waits for its steps' processes to die and releases its workspaces and groups (runs started before this was patched in do not). */
  cancelCleanly: boolean;
  /** Steps and jobs read earlier outputs through `${{ }}` (runs started before this was patched in pass templates through as text). */
  stepOutputs: boolean;
  /** `if:`, `continue-on-error`, job `timeout-minutes` and `defaults.run` apply (runs started before this was patched in ignore them). */
  conditions?: boolean;
  /** Jobs start their `services` before the first step and save what their cache steps missed (runs started before this was patched in have neither). */
  cacheServices?: boolean;
  /** Called when a job or step changes status, e.g. to update the Web UI's details. */
  onProgress?: () => void;
}

/** A worker was lost under a step (its queue went silent): the job starts over elsewhere. */
class WorkerLost extends Error {}

/** The display name of a step. */
export function stepName(step: PipelineStep, index: number): string {
  if (step.name) return step.name;
  if ('run' in step) return step.run.split('\n')[0]!.slice(0, 60);
  if ('checkout' in step) return 'checkout';
  if ('upload-artifact' in step) return `upload ${step['upload-artifact'].name}`;
  if ('download-artifact' in step) return `download ${step['download-artifact'].name}`;
  if ('stack' in step) return `${step.stack.operation} stack ${step.stack.project}/${step.stack.stack}`;
  if ('cache' in step) return `cache ${step.cache.key}`.slice(0, 60);
  return `step ${index + 1}`;
}

/**
 * Runs `job` to its end, keeping `record` current; `needs` holds the outputs of the jobs it needs, by
 * job id, and `matrix` the values of the combination it is (for a matrix job).
 */
export async function runJob(
  ctx: JobContext,
  jobId: string,
  job: PipelineJob,
  record: JobRecord,
  needs: TemplateScope['needs'] = {},
  needsCtx: Record<string, NeedContext> = {},
  matrix?: TemplateScope['matrix'],
): Promise<void> {
  const approval = job.environment?.approval;
  if (approval?.required) {
    record.status = 'waiting-approval';
    ctx.onProgress?.();
    const refusal = await awaitApproval(record, approval.timeoutSeconds);
    if (refusal !== undefined) {
      record.status = 'failed';
      record.message = refusal;
      return;
    }
  }
  record.status = 'running';
  record.startedAt = new Date().toISOString();
  ctx.onProgress?.();
  const run = ctx.conditions ? runFacts(ctx.trigger) : undefined;
  const facts: Omit<TemplateScope, 'steps' | 'needs'> = {
    ...(run ? { run, needResults: Object.fromEntries(Object.entries(needsCtx).map(([id, n]) => [id, n.result])) } : {}),
    ...(matrix ? { matrix } : {}),
  };
  const env = jobEnv(ctx, jobId, job, ctx.stepOutputs ? renderJobEnv(job, needs, facts) : job.env, run);
  // The job's clock starts once it may run (after its approval) and runs on across restarts.
  const minutes = ctx.conditions ? job['timeout-minutes'] : undefined;
  const deadline = minutes !== undefined ? Date.now() + minutes * 60_000 : undefined;
  const deployments = proxyActivities<DeploymentActivities>(
    claimOptions(nodeClassTaskQueue(ctx.policy.taskQueuePrefix, job['runs-on']), ctx.policy),
  );
  if (job.environment) {
    // Deploy and rollback steps learn what they replace: Capstan's record of the environment's current release.
    const previous = await deployments.lastDeployment.executeWithOptions(
      { summary: `${jobId}: last deployment to ${job.environment.name}` },
      [{ environment: job.environment.name }],
    );
    record.deployment = {
      environment: job.environment.name,
      sha: ctx.trigger.sha,
      ...(previous ? { previousSha: previous.sha } : {}),
    };
    env.CAPSTAN_PREVIOUS_SHA = previous?.sha ?? '';
  }
  let claim: JobClaim | undefined;
  for (let restart = 0; ; restart++) {
    try {
      claim = undefined;
      claim = await claimWorkspace(ctx, jobId, job);
      record.worker = claim.worker;
      record.steps = job.steps.map((s, i) => ({ name: stepName(s, i), status: 'pending' }));
      // A restarted job starts over, so its steps' outputs do too.
      const scope: TemplateScope = { ...facts, steps: {}, needs };
      const jobTry: JobTry = { ctx, jobId, job, claim, restart, scope, needsCtx, saves: [] };
      const withServices = ctx.cacheServices === true && hasServices(job);
      // Steps see the services' variables (a port, a socket directory); the job's own env wins a clash.
      const stepEnv = withServices ? { ...servicesEnv(job), ...env } : env;
      const notReady = withServices
        ? await startServices(ctx, jobId, job, claim, restart, record, stepEnv).catch((err: unknown) => {
            throw isLostWorker(err) ? new WorkerLost('worker lost while starting services') : err;
          })
        : undefined;
      const { failed, timedOut } =
        notReady === undefined
          ? await withJobTimeout(deadline, minutes ?? 0, record.steps, () =>
              runSteps(jobTry, job.steps, record.steps, stepEnv, 'step'),
            )
          : { failed: undefined, timedOut: false };
      if (notReady !== undefined || failed !== undefined || timedOut) {
        record.status = 'failed';
        const step = failed !== undefined ? record.steps[failed] : undefined;
        record.message =
          notReady !== undefined
            ? notReady
            : timedOut
              ? `timed out after ${minutes} minute(s) (timeout-minutes)${step ? `; step "${step.name}" was killed` : ''}`
              : `step "${step!.name}" failed: ${step!.message ?? ''}`;
        // A service that never got ready leaves every step unrun.
        if (notReady !== undefined) for (const s of record.steps) s.status = 'skipped';
        if (job['continue-on-error'] && ctx.conditions) {
          record.continuedOnError = true;
          record.message += ' (continue-on-error: the run goes on)';
        }
        if (job.rollback.length > 0) await rollback(jobTry, record, stepEnv);
        if (withServices) await stopServices(ctx, jobId, claim, record);
      } else {
        if (ctx.cacheServices && jobTry.saves.length > 0)
          await saveCaches(ctx, jobId, claim, jobTry.saves, record.steps);
        if (withServices) await stopServices(ctx, jobId, claim, record);
        if (job.environment) {
          const summary = `${jobId}: record deployment of ${ctx.trigger.sha.slice(0, 12)} to ${job.environment.name}`;
          await deployments.recordDeployment.executeWithOptions({ summary }, [
            {
              environment: job.environment.name,
              repository: ctx.trigger.repository,
              pipeline: ctx.spec.name,
              runId: ctx.runId,
              jobId,
              sha: ctx.trigger.sha,
              triggeredBy: ctx.trigger.triggeredBy,
            },
          ]);
        }
        if (ctx.stepOutputs && job.outputs) record.outputs = renderJobOutputs(job, jobTry.scope);
        record.status = 'succeeded';
      }
      ctx.onProgress?.();
      await release(ctx, jobId, claim);
      break;
    } catch (err) {
      if (err instanceof WorkerLost && restart < MAX_JOB_RESTARTS) {
        record.message = `worker ${record.worker ?? ''} lost; job restarted from its first step on another worker (restart ${restart + 1})`;
        continue;
      }
      record.status = isCancellation(err) ? 'cancelled' : 'failed';
      record.message = (err as Error).message;
      ctx.onProgress?.();
      if (!isCancellation(err)) break;
      record.finishedAt = new Date().toISOString();
      // Left alone, a cancelled job's checkout would stay on its worker's disk for good.
      const held = claim;
      if (ctx.cancelCleanly && held) await CancellationScope.nonCancellable(() => release(ctx, jobId, held));
      throw err;
    }
  }
  record.finishedAt = new Date().toISOString();
}

async function claimWorkspace(ctx: JobContext, jobId: string, job: PipelineJob): Promise<JobClaim> {
  const { claimJobWorkspace } = proxyActivities<PipelineActivities>(
    claimOptions(nodeClassTaskQueue(ctx.policy.taskQueuePrefix, job['runs-on']), ctx.policy),
  );
  return claimJobWorkspace.executeWithOptions({ summary: `${jobId}: claim a workspace on ${job['runs-on']}` }, [
    { runId: ctx.runId, jobId },
  ]);
}

/** One try of a job on one claimed worker. */
interface JobTry {
  ctx: JobContext;
  jobId: string;
  job: PipelineJob;
  claim: JobClaim;
  restart: number;
  /** Outputs templates read: of this try's steps so far (by step id), and of the jobs this one needs. */
  scope: TemplateScope;
  /** `needs.<job>` as step conditions read it (result and outputs). */
  needsCtx: Record<string, NeedContext>;
  /** Cache steps that missed their key: saved once every step has succeeded. */
  saves: PendingCacheSave[];
}

/**
 * Runs steps in order on the claimed worker; returns the index of the first step that failed, if one
 * did. With conditions, each step's `if:` decides whether it runs (after a failure, only steps that
 * ask for it, e.g. `if: failure()`), and a step with `continue-on-error` does not fail the job.
 */
async function runSteps(
  jobTry: JobTry,
  steps: PipelineStep[],
  records: StepRecord[],
  env: Record<string, string>,
  logPrefix: string,
): Promise<number | undefined> {
  const { ctx, job, scope, needsCtx } = jobTry;
  let failed: number | undefined;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const rec = records[i]!;
    if (ctx.conditions) {
      let gate: Gate;
      try {
        gate = stepGate(steps, records, i, scope, needsCtx);
      } catch (err) {
        // Validation parses every condition before the run starts; this is only a spec that bypassed it.
        gate = { run: false, reason: `if: ${(err as Error).message}` };
      }
      if (!gate.run) {
        rec.status = 'skipped';
        rec.message = gate.reason;
        ctx.onProgress?.();
        continue;
      }
    }
    const sent = ctx.conditions ? withJobDefaults(step, job) : step;
    if (await runStep(jobTry, i, step, sent, rec, env, logPrefix)) continue;
    if (!ctx.conditions) return i;
    if (step['continue-on-error']) {
      rec.continuedOnError = true;
      continue;
    }
    failed ??= i;
  }
  return failed;
}

/** Runs one step (its retries included); returns false when it failed, as recorded on `rec`. */
async function runStep(
  { ctx, jobId, job, claim, restart, scope, saves }: JobTry,
  i: number,
  step: PipelineStep,
  normalised: PipelineStep,
  rec: StepRecord,
  env: Record<string, string>,
  logPrefix: string,
): Promise<boolean> {
  const timeout = 'run' in normalised ? stepTimeoutSeconds(normalised) : 3600;
  const { runJobStep } = proxyActivities<PipelineActivities>(
    stepOptions(claim.workerQueue, timeout, ctx.policy, ctx.cancelCleanly),
  );
  rec.status = 'running';
  rec.startedAt = new Date().toISOString();
  ctx.onProgress?.();
  const place: StepPlace = {
    jobId,
    kind: logPrefix === 'step' ? 'step' : 'rollback',
    index: i,
    label: step.name ?? step.id ?? stepName(step, i),
    nodeClass: job['runs-on'],
  };
  const maxAttempts = 'run' in step ? step.retry.maxAttempts : 1;
  let sent = normalised;
  if (ctx.stepOutputs) {
    try {
      sent = renderStep(normalised, scope);
    } catch (err) {
      // Validation parses every template before the run starts; this is only a spec that bypassed it.
      rec.status = 'failed';
      rec.message = `template: ${(err as Error).message}`;
      rec.finishedAt = new Date().toISOString();
      return false;
    }
  }
  if ('stack' in sent) {
    const key = `${jobId}-${logPrefix === 'step' ? i : `${logPrefix}-${i}`}${restart > 0 ? `-restart-${restart}` : ''}`;
    return runStackStep(ctx, job, key, sent, rec, scope, stepSummary(place));
  }
  for (let attempt = 1; ; attempt++) {
    rec.attempts = attempt;
    try {
      const logName = logPrefix === 'step' ? String(i) : `${logPrefix}-${i}`;
      const meter = {
        taskId: `${jobId}/${logName}${restart > 0 ? `@restart-${restart}` : ''}`,
        attempt,
        nodeClass: job['runs-on'],
        labels: { pipeline: ctx.spec.name },
        // The first step of a restarted job closes what its lost worker left open.
        ...(restart > 0 && i === 0 && logPrefix === 'step' ? { supersedes: `${jobId}/` } : {}),
      };
      const outcome = await runJobStep.executeWithOptions({ summary: stepSummary(place, attempt, maxAttempts) }, [
        {
          runId: ctx.runId,
          jobId,
          logName,
          step: sent,
          env,
          trigger: ctx.trigger,
          meter,
          // The worker renders a cache step's templates (hashFiles() needs the workspace), so it gets what they read.
          ...('cache' in sent ? { scope } : {}),
        },
      ]);
      rec.status = 'succeeded';
      rec.exitCode = outcome.exitCode;
      if (Object.keys(outcome.outputs ?? {}).length > 0) rec.outputs = outcome.outputs;
      if (ctx.stepOutputs && step.id !== undefined) scope.steps[step.id] = outcome.outputs ?? {};
      if (outcome.cache && !outcome.cache.hit && logPrefix === 'step')
        saves.push({ index: i, key: outcome.cache.key, paths: outcome.cache.paths });
      if (outcome.cache) rec.message = outcome.tail;
      break;
    } catch (err) {
      if (isLostWorker(err)) throw new WorkerLost(`worker lost during step "${rec.name}"`);
      const cause = err instanceof ActivityFailure ? err.cause : err;
      rec.message = cause instanceof Error ? cause.message : String(cause);
      rec.exitCode =
        cause instanceof ApplicationFailure
          ? (cause.details?.[0] as { exitCode?: number } | undefined)?.exitCode
          : undefined;
      if (isCancellation(err)) {
        rec.status = 'cancelled';
        // Temporal keeps no message for a cancelled activity; the step's log says what the worker killed.
        rec.message = rec.message || 'cancelled';
        rec.finishedAt = new Date().toISOString();
        throw err;
      }
      if (attempt >= maxAttempts || !('run' in step)) {
        rec.status = 'failed';
        rec.finishedAt = new Date().toISOString();
        return false;
      }
      await sleep(backoffMs(step.retry, attempt), { summary: `${stepSummary(place)}: backing off before a retry` });
    }
  }
  rec.finishedAt = new Date().toISOString();
  ctx.onProgress?.();
  return true;
}

/**
 * Runs a stack step as the stack's own operation (waiting in line if another holds the stack) on the
 * workers that run Pulumi; its outputs become the step's. Returns false when it failed, as recorded on `rec`.
 */
async function runStackStep(
  ctx: JobContext,
  job: PipelineJob,
  key: string,
  step: Extract<PipelineStep, { stack: unknown }>,
  rec: StepRecord,
  scope: TemplateScope,
  summary: string,
): Promise<boolean> {
  const { project, stack, operation } = step.stack;
  const queue = nodeClassTaskQueue(ctx.policy.taskQueuePrefix, ctx.policy.pulumiNodeClass ?? job['runs-on']);
  rec.attempts = 1;
  try {
    const result = await executeStackTask(step.stack, key, queue, `pipeline run ${ctx.runId}`, summary);
    rec.status = 'succeeded';
    rec.message = `${operation} of stack ${project}/${stack} (run ${stackWorkflowId(project, stack)})`;
    if (Object.keys(result.outputs).length > 0) rec.outputs = result.outputs;
    if (ctx.stepOutputs && step.id !== undefined) scope.steps[step.id] = result.outputs;
    return true;
  } catch (err) {
    rec.status = isCancellation(err) ? 'cancelled' : 'failed';
    // The stack operation's own reason (a plan violation, Pulumi's error), not "Child Workflow execution failed".
    rec.message = err instanceof ChildWorkflowFailure && err.cause ? err.cause.message : (err as Error).message;
    if (isCancellation(err)) throw err;
    return false;
  } finally {
    rec.finishedAt = new Date().toISOString();
  }
}

async function rollback(jobTry: JobTry, record: JobRecord, env: Record<string, string>): Promise<void> {
  const { job } = jobTry;
  const steps = job.rollback.map((s, i) => ({
    name: s.name ?? `rollback: ${stepName(s, i)}`,
    status: 'pending' as const,
  }));
  record.rollback = { status: 'succeeded', steps };
  const failed = await runSteps(jobTry, job.rollback, steps, { ...env, CAPSTAN_ROLLBACK: 'true' }, 'rollback').catch(
    () => 0,
  );
  record.rollback.status = failed === undefined ? 'succeeded' : 'failed';
}

async function release(ctx: JobContext, jobId: string, claim: JobClaim): Promise<void> {
  const { releaseJobWorkspace } = proxyActivities<PipelineActivities>(releaseOptions(claim.workerQueue));
  // The workspace of a worker that is gone is gone with it; nothing to do then.
  await releaseJobWorkspace
    .executeWithOptions({ summary: `${jobId}: release its workspace on ${claim.worker}` }, [
      { runId: ctx.runId, jobId },
    ])
    .catch(() => undefined);
}

function isLostWorker(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
}

function jobEnv(
  ctx: JobContext,
  jobId: string,
  job: PipelineJob,
  own: Record<string, string>,
  run: RunFacts | undefined,
): Record<string, string> {
  const t = ctx.trigger;
  return {
    // The pipeline's env may read the trigger (`${{ branch }}`); nothing else is in scope there.
    ...(run ? renderEnv(ctx.spec.env, { steps: {}, needs: {}, run }) : ctx.spec.env),
    ...own,
    CAPSTAN_RUN_ID: ctx.runId,
    CAPSTAN_PIPELINE: ctx.spec.name,
    CAPSTAN_JOB: jobId,
    CAPSTAN_EVENT: t.event,
    CAPSTAN_REPOSITORY: t.repository,
    CAPSTAN_SHA: t.sha,
    CAPSTAN_BRANCH: t.branch,
    ...(t.tag !== undefined ? { CAPSTAN_TAG: t.tag } : {}),
    CAPSTAN_TRIGGERED_BY: t.triggeredBy,
    ...(job.environment ? { CAPSTAN_ENVIRONMENT: job.environment.name } : {}),
  };
}
