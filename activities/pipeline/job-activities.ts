/** The pipeline activities: claim a workspace on a worker of the job's class, run each step there, release it. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stepTimeoutSeconds, type PipelineStep } from '../../workflows/contracts/pipeline-spec';
import { FailureTypes } from '../../workflows/contracts/failure-types';
import { lastLineOf, logTailOf } from '../../workflows/contracts/log-tail';
import type { PipelineTrigger } from '../../workflows/contracts/pipeline-run';
import { readOutputs } from '../shell/attempt-files';
import { offloadOutputs } from '../shell/offload-outputs';
import { OutputFileError } from '../shell/output-file';
import { openOutputStore } from '../../config/outputs/open-output-store';
import type { OutputStore } from '../../config/outputs/output-store';
import { runProcessGroup } from '../shell/process-group';
import { TailBuffer } from '../shell/tail-buffer';
import { ArtifactError, downloadArtifact, uploadArtifact } from './artifacts';
import { copyReusedArtifacts, type ArtifactReuse } from './artifact-reuse';
import { jobWorkspace } from '../../config/run-files';
import { maskerFor, openAttemptLog, type SecretMasker } from '../logs';
import type { PipelineActivityDeps } from './deps';
import { checkoutCommit } from './git-checkout';
import { stepLogOn, type StepLog } from './step-log';
import { checkEnvSizes, checkStepPaths, expandStepReferences, StepInputError } from './step-references';
import type { TemplateScope } from '../../workflows/pipeline/templates';
import { runCacheStep, saveJobCache, type SaveCacheInput } from './cache/cache-step';
import type { CacheSave } from './cache/job-cache';
import { CacheKeyError, renderCacheStep, type RenderedCache } from './cache/render-cache-step';
import { HashFilesError } from './cache/hash-files';
import {
  startJobServices,
  stopJobServices,
  type StartServicesInput,
  type StoppedService,
} from './services/job-services';
import type { ServiceRecord } from '../../workflows/contracts/pipeline-run';

/** Which job a call is about. */
export interface JobRef {
  runId: string;
  jobId: string;
}

/** Where a job's steps go after the first: the claiming worker's own queue. */
export interface JobClaim {
  workerQueue: string;
  worker: string;
  workspace: string;
}

/** Input of `runJobStep`. */
export interface RunJobStepInput extends JobRef {
  /** Log name: the step index, or `rollback-<index>`. */
  logName: string;
  step: PipelineStep;
  env: Record<string, string>;
  trigger: PipelineTrigger;
  /** How the metering interceptor records this attempt (a step's attempts are the workflow's, not Temporal's). */
  meter: StepMeter;
  /** Cache steps: the outputs their templates read, since the worker renders them (they may call hashFiles()). */
  scope?: TemplateScope;
}

/** The metering identity of one step attempt. */
export interface StepMeter {
  taskId: string;
  attempt: number;
  nodeClass: string;
  labels: Record<string, string>;
  /** Task-id prefix of the job's earlier try, whose still-open attempts this one closes as lost. */
  supersedes?: string;
}

/** What a step did. */
export interface StepOutcome {
  exitCode: number;
  durationMs: number;
  worker: string;
  /** Last lines of the output, for the run's record; the whole log is in the log store. */
  tail: string;
  /** What a `run` step wrote to `$CAPSTAN_OUTPUT` (GitHub's `$GITHUB_OUTPUT` format). */
  outputs: Record<string, string>;
  /** Cache steps: the rendered key and paths, and whether the key was an exact hit (else it is saved after the job). */
  cache?: RenderedCache & { hit: boolean };
}

/** Builds the pipeline activities bound to one worker. */
export function createPipelineActivities(deps: PipelineActivityDeps) {
  const store = deps.outputStore ? openOutputStore(deps.outputStore) : undefined;
  return {
    /** Copies the artifacts of the jobs a re-run reuses into the new run, so its jobs download them as their own. */
    async copyReusedArtifacts(reuse: ArtifactReuse): Promise<number> {
      return copyReusedArtifacts(deps.artifactStore, reuse);
    },

    /** Runs on the class queue: whichever worker takes it owns the job's workspace from now on. */
    async claimJobWorkspace({ runId, jobId }: JobRef): Promise<JobClaim> {
      const workspace = jobWorkspace(deps.workspaceRoot, runId, jobId);
      // A restarted job starts clean, never on a half-finished workspace.
      await rm(workspace, { recursive: true, force: true });
      await mkdir(workspace, { recursive: true });
      return { workerQueue: deps.workerQueue, worker: deps.workerIdentity, workspace };
    },

    /** Runs one step in the job's workspace on this worker, logging its output to the log store. */
    async runJobStep(input: RunJobStepInput): Promise<StepOutcome> {
      const ctx = Context.current();
      const workspace = jobWorkspace(deps.workspaceRoot, input.runId, input.jobId);
      const secrets = new Set<string>();
      const masker = maskerFor(deps.logs, input.env, secrets);
      // Keyed like the step attempt's metering row; a retried step or a restarted job gets a log of its own.
      const attemptLog = openAttemptLog(
        deps.logs,
        { runId: input.runId, taskId: input.meter.taskId, attempt: input.meter.attempt },
        deps.workerIdentity,
        masker,
      );
      const log = stepLogOn(attemptLog);
      const startedAt = Date.now();
      const beat = setInterval(() => ctx.heartbeat({ elapsedMs: Date.now() - startedAt }), 2000);
      try {
        // A cache step's templates are rendered here, where hashFiles() can read the workspace.
        const step = 'cache' in input.step ? await renderedCacheStep(input.step, input.scope, workspace) : input.step;
        // Templates were rendered by the workflow; what they read from the output store is filled in here, off history.
        const expanded = await expandStepReferences(step, input.env, store, deps.stackOutputs, secrets);
        // The values just read (secret stack outputs) and the step's own env join the job's.
        for (const value of secrets) masker.add(value);
        masker.addFromEnv(
          { ...expanded.env, ...('run' in expanded.step ? expanded.step.env : {}) },
          deps.logs?.redactedVars ?? [],
        );
        checkStepPaths(expanded.step, workspace);
        checkEnvSizes(expanded.step, expanded.env);
        const { exitCode, tail, outputs, cache } = await runStep(
          deps,
          { ...input, ...expanded },
          workspace,
          log,
          ctx.cancellationSignal,
          store,
          masker,
        );
        const outcome: StepOutcome = {
          exitCode,
          durationMs: Date.now() - startedAt,
          worker: deps.workerIdentity,
          tail,
          outputs: outputs ?? {},
          ...(cache ? { cache } : {}),
        };
        await log.close(`[capstan] step ended with exit code ${exitCode} after ${outcome.durationMs} ms`);
        if (exitCode !== 0) {
          throw ApplicationFailure.create({
            type: FailureTypes.stepFailed,
            // The last line printed says why, as a task's failure does.
            message: `step exited with code ${exitCode}${quoteLastLine(tail)}`,
            details: [outcome],
            nonRetryable: true,
          });
        }
        return outcome;
      } catch (err) {
        await log.close(`[capstan] step failed: ${(err as Error).message}`);
        if (
          err instanceof ArtifactError ||
          err instanceof StepInputError ||
          err instanceof CacheKeyError ||
          err instanceof HashFilesError
        )
          throw ApplicationFailure.create({ type: FailureTypes.stepInvalid, message: err.message, nonRetryable: true });
        throw err;
      } finally {
        clearInterval(beat);
      }
    },

    /** Saves a cache step's entry after the job's last step succeeded; logged as `post-<step>`. */
    async saveJobCache(input: SaveCacheInput): Promise<CacheSave> {
      const workspace = jobWorkspace(deps.workspaceRoot, input.runId, input.jobId);
      const log = stepLogOn(
        openAttemptLog(
          deps.logs,
          { runId: input.runId, taskId: `${input.jobId}/${input.logName}`, attempt: 1 },
          deps.workerIdentity,
          maskerFor(deps.logs, {}, []),
        ),
      );
      const beat = setInterval(() => Context.current().heartbeat(), 2000);
      try {
        const result = await saveJobCache(deps.caches, input, workspace, log);
        await log.close(`[capstan] ${result.message}`);
        return result;
      } catch (err) {
        await log.close(`[capstan] cache not saved: ${(err as Error).message}`);
        throw err;
      } finally {
        clearInterval(beat);
      }
    },

    /** Starts the job's services on this worker and waits until they are ready. */
    async startJobServices(input: StartServicesInput): Promise<ServiceRecord[]> {
      return startJobServices(deps, input);
    },

    /** Stops the job's services on this worker (their process groups) after its last step. */
    async stopJobServices(ref: JobRef): Promise<StoppedService[]> {
      return stopJobServices(deps, ref);
    },

    /** Deletes the job's workspace once the job (and any rollback) is over, stopping services still running. */
    async releaseJobWorkspace({ runId, jobId }: JobRef): Promise<void> {
      await stopJobServices(deps, { runId, jobId });
      await rm(jobWorkspace(deps.workspaceRoot, runId, jobId), { recursive: true, force: true });
    },
  };
}

async function renderedCacheStep(
  step: Extract<PipelineStep, { cache: unknown }>,
  scope: TemplateScope | undefined,
  workspace: string,
): Promise<PipelineStep> {
  const rendered = await renderCacheStep(step, scope ?? { steps: {}, needs: {} }, workspace);
  return {
    ...step,
    cache: { key: rendered.key, 'restore-keys': rendered.restoreKeys, path: rendered.paths },
  };
}

function quoteLastLine(tail: string): string {
  const line = lastLineOf(logTailOf({ stdout: tail }));
  return line === undefined ? '' : `: ${line}`;
}

/** Largest `$CAPSTAN_OUTPUT` file a step may write on a worker without an output store; outputs are then kept in the run's state whole. */
const MAX_STEP_OUTPUT_BYTES = 64 * 1024;

async function runStep(
  deps: PipelineActivityDeps,
  input: RunJobStepInput,
  workspace: string,
  log: StepLog,
  signal: AbortSignal,
  store: OutputStore | undefined,
  masker: SecretMasker,
): Promise<{
  exitCode: number;
  tail: string;
  outputs?: Record<string, string>;
  cache?: RenderedCache & { hit: boolean };
}> {
  const { step, runId } = input;
  if ('cache' in step) {
    const { key, path } = step.cache;
    const rendered = { key, restoreKeys: step.cache['restore-keys'], paths: typeof path === 'string' ? [path] : path };
    return { exitCode: 0, ...(await runCacheStep(deps.caches, rendered, input.trigger, workspace, log)) };
  }
  if ('checkout' in step) {
    const dir = step.checkout === true ? workspace : join(workspace, step.checkout.path ?? '.');
    await checkoutCommit(input.trigger.cloneUrl, input.trigger.sha, dir, log);
    return { exitCode: 0, tail: `checked out ${input.trigger.sha}` };
  }
  if ('upload-artifact' in step) {
    const { name, path } = step['upload-artifact'];
    const bytes = await uploadArtifact(
      deps.artifactStore,
      { runId, jobId: input.jobId, name },
      workspace,
      path,
      deps.maxArtifactBytes,
    );
    log.write(`uploaded artifact "${name}" from ${path} (${bytes} bytes)\n`);
    return { exitCode: 0, tail: `uploaded ${name} (${bytes} bytes)` };
  }
  if ('download-artifact' in step) {
    const { name, path } = step['download-artifact'];
    const bytes = await downloadArtifact(deps.artifactStore, {
      runId,
      name,
      workspace,
      dir: path,
      maxBytes: deps.maxArtifactBytes,
    });
    log.write(`downloaded artifact "${name}" into ${path} (${bytes} bytes)\n`);
    return { exitCode: 0, tail: `downloaded ${name} (${bytes} bytes)` };
  }
  // The workflow runs stack steps itself (a stack operation is a workflow of its own); one sent here is a wiring bug.
  if ('stack' in step) throw new Error('a stack step is run by the pipeline workflow, not on a worker');
  const cwd = step.workingDirectory ? resolve(workspace, step.workingDirectory) : workspace;
  await mkdir(cwd, { recursive: true });
  const script = join(workspace, '..', `${input.jobId}.${input.logName}.sh`);
  const outputFile = join(workspace, '..', `${input.jobId}.${input.logName}.output`);
  await writeFile(script, step.run, { mode: 0o700 });
  await writeFile(outputFile, '');
  const tail = new TailBuffer(4096);
  const timeoutSeconds = stepTimeoutSeconds(step);
  const exit = await runProcessGroup({
    // sh is for scripts written for a POSIX shell (or images without bash); bash stays the default.
    ...(step.shell === 'sh'
      ? { file: '/bin/sh', args: ['-e', script] }
      : { file: '/bin/bash', args: ['-e', '-o', 'pipefail', script] }),
    cwd,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAPSTAN_'))),
      ...input.env,
      CAPSTAN_WORKSPACE: workspace,
      CAPSTAN_OUTPUT: outputFile,
      ...step.env,
    },
    timeoutMs: timeoutSeconds * 1000,
    signal,
    killGraceMs: deps.killGraceMs,
    onStdout: (chunk) => {
      log.write(chunk, 'o');
      tail.push(chunk);
    },
    onStderr: (chunk) => {
      log.write(chunk, 'e');
      tail.push(chunk);
    },
  });
  await rm(script, { force: true });
  if (exit.aborted) {
    // The workspace may be released next, but this file sits beside it and would stay.
    await rm(outputFile, { force: true });
    throw new CancelledFailure('step cancelled; process group killed');
  }
  if (exit.timedOut) log.write(`[capstan] step timed out after ${timeoutSeconds}s; process group killed\n`);
  let outputs: Record<string, string> = {};
  try {
    const limits = deps.outputStore;
    outputs = await readOutputs(outputFile, limits ? limits.maxFileBytes : MAX_STEP_OUTPUT_BYTES);
    // Stored by reference like a DAG task's, so the run's history (and the steps that read them) stay small.
    if (store && limits) outputs = await offloadOutputs(outputs, store, limits.inlineBytes);
  } catch (err) {
    if (!(err instanceof OutputFileError)) throw err;
    log.write(`[capstan] $CAPSTAN_OUTPUT ${err.message}\n`);
    return { exitCode: exit.exitCode === 0 ? 1 : exit.exitCode, tail: `$CAPSTAN_OUTPUT ${err.message}` };
  } finally {
    await rm(outputFile, { force: true });
  }
  // The tail reaches the run's state and history: secrets are masked there as in the log.
  return { exitCode: exit.exitCode, tail: masker.mask(tail.text()), outputs };
}
