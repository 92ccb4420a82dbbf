/** The shell-command activity: one attempt of a task in a fresh workspace. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FailureTypes } from '../../workflows/contracts/failure-types';
import { lastLineOf, logTailOf } from '../../workflows/contracts/log-tail';
import type { CommandOutcome } from '../../workflows/contracts/task-run';
import type { TaskSpec } from '../../workflows/contracts/task-spec';
import {
  commandLine,
  InvalidTaskError,
  prepareAttempt,
  readOutputs,
  removeAttempt,
  type AttemptFiles,
} from './attempt-files';
import { maskerFor, openAttemptLog, type TaskLogDeps } from '../logs';
import { expandReferences, type StackOutputReader } from './expand-references';
import { offloadOutputs } from './offload-outputs';
import { OutputFileError } from './output-file';
import { openOutputStore } from '../../config/outputs/open-output-store';
import type { S3Location } from '../../config/outputs/output-store';
import { runProcessGroup, type ProcessGroupExit } from './process-group';
import { TailBuffer } from './tail-buffer';

/** What the shell activities need from the worker that hosts them. */
export interface ShellActivityDeps {
  /** Directory under which every attempt gets a fresh workspace. */
  workspaceRoot: string;
  /** Identity of the worker, reported in results. */
  workerIdentity: string;
  /** Bytes of stdout and of stderr kept for the result. */
  outputTailBytes: number;
  /** Keep workspaces after the attempt (for debugging) instead of deleting them. */
  keepWorkspaces: boolean;
  /** Upper bound between heartbeats; a third of the activity's heartbeat timeout when that is shorter. */
  maxHeartbeatIntervalMs: number;
  killGraceMs: number;
  /** Directory of the content-addressed output store, shared by every worker and the API (unless `outputS3`). */
  outputStoreDir: string;
  /** The bucket that holds the output store instead of the directory, for machines that share no filesystem. */
  outputS3?: S3Location;
  /** Largest `$CAPSTAN_OUTPUT` file read. */
  maxOutputFileBytes: number;
  /** Output values longer than this go to the output store and the result holds their reference. */
  inlineOutputBytes: number;
  /** Reads stack outputs that commands reference (secrets stay out of history until here). */
  stackOutputs?: StackOutputReader;
  /** Where each attempt's whole log goes; without it only the tails in the result are kept. */
  logs?: TaskLogDeps;
}

/** Input of `runShellCommand`. */
export interface RunShellCommandInput {
  spec: TaskSpec;
  /** Attempts the run made before this activity; with Temporal's attempt it numbers the task's attempt. */
  attemptsBefore?: number;
  /** The task's name inside its run (a DAG node key); tasks of one run must not share a workspace. */
  workspaceKey?: string;
}

/** Builds the `runShellCommand` activity bound to one worker's settings. */
export function createRunShellCommand(deps: ShellActivityDeps) {
  const store = openOutputStore({ dir: deps.outputStoreDir, s3: deps.outputS3 });
  return async function runShellCommand({
    spec: specAsSent,
    attemptsBefore = 0,
    workspaceKey,
  }: RunShellCommandInput): Promise<CommandOutcome> {
    const ctx = Context.current();
    const activityAttempt = ctx.info.attempt;
    const taskAttempt = attemptsBefore + activityAttempt;
    const runId = ctx.info.workflowExecution?.workflowId ?? ctx.info.activityId;
    let spec: TaskSpec;
    let files: AttemptFiles;
    let file: string;
    let args: string[];
    const secrets = new Set<string>();
    try {
      // References are resolved here, not in the workflow, so large content never enters history.
      spec = await expandReferences(specAsSent, store, deps.stackOutputs, secrets);
      files = await prepareAttempt(
        deps.workspaceRoot,
        workspaceKey === undefined ? [runId] : [runId, workspaceKey],
        taskAttempt,
        spec,
      );
      [file, args] = await commandLine(spec, files.attemptDir);
    } catch (err) {
      throw setupFailure(err, activityAttempt);
    }
    const env = {
      // The worker's environment without Capstan's own settings, then the task variables, then the spec's.
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CAPSTAN_'))),
      CAPSTAN_RUN_ID: runId,
      CAPSTAN_ATTEMPT: String(taskAttempt),
      CAPSTAN_NODE_CLASS: spec.nodeClass,
      CAPSTAN_WORKSPACE: files.workspace,
      CAPSTAN_OUTPUT: files.outputFile,
      ...spec.env,
    };

    const stdout = new TailBuffer(deps.outputTailBytes);
    const stderr = new TailBuffer(deps.outputTailBytes);
    const masker = maskerFor(deps.logs, env, secrets);
    // Keyed like the attempt's metering row, so the two refer to each other.
    const log = openAttemptLog(
      deps.logs,
      { runId, taskId: workspaceKey ?? 'task', attempt: taskAttempt },
      deps.workerIdentity,
      masker,
    );
    const startedAt = Date.now();
    ctx.log.debug('task attempt started', { runId, attempt: taskAttempt, nodeClass: spec.nodeClass });
    // The activity attempt rides along so a heartbeat timeout still tells the workflow how many attempts ran.
    const heartbeat = (): void =>
      ctx.heartbeat({
        attempt: activityAttempt,
        elapsedMs: Date.now() - startedAt,
        stdoutBytes: stdout.totalBytes,
        stderrBytes: stderr.totalBytes,
      });
    // A first attempt needs no heartbeat at once: without details the workflow counts one attempt, which is right.
    // A retry records its number now, so a worker lost in its first seconds is not counted as the attempt before it.
    // (One heartbeat is one more write to the workflow's state on the server: a tenth of a light task's cost there.)
    if (activityAttempt > 1) heartbeat();
    const beat = setInterval(heartbeat, heartbeatIntervalMs(ctx.info.heartbeatTimeoutMs, deps.maxHeartbeatIntervalMs));
    try {
      let exit: ProcessGroupExit;
      try {
        exit = await runProcessGroup({
          file,
          args,
          cwd: files.cwd,
          env,
          timeoutMs: spec.timeoutSeconds * 1000,
          signal: ctx.cancellationSignal,
          killGraceMs: deps.killGraceMs,
          onStdout: (chunk) => {
            stdout.push(chunk);
            log?.write('o', chunk);
          },
          onStderr: (chunk) => {
            stderr.push(chunk);
            log?.write('e', chunk);
          },
        });
      } catch (err) {
        log?.note(`[capstan] could not start the command: ${(err as Error).message}`);
        await log?.close();
        throw setupFailure(err, activityAttempt);
      }
      log?.note(endNote(exit, spec.timeoutSeconds, Date.now() - startedAt));
      const logClosed = log?.close();

      const outcome: CommandOutcome = {
        exitCode: exit.exitCode,
        // The tails reach Temporal's history and the failure shown to users: secrets are masked there too.
        stdout: masker.mask(stdout.text()),
        stderr: masker.mask(stderr.text()),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        outputs: {},
        durationMs: Date.now() - startedAt,
        worker: deps.workerIdentity,
        activityAttempt,
        timedOut: exit.timedOut,
        commandStartedAt: new Date(startedAt).toISOString(),
      };
      let outputError: string | undefined;
      try {
        outcome.outputs = await offloadOutputs(
          await readOutputs(files.outputFile, deps.maxOutputFileBytes),
          store,
          deps.inlineOutputBytes,
        );
      } catch (err) {
        if (!(err instanceof OutputFileError)) throw err;
        outputError = `$CAPSTAN_OUTPUT ${err.message}`;
      }
      if (!deps.keepWorkspaces) await removeAttempt(files);
      // Heartbeats go on until the log is closed: a database that is slow to take it must not look like a lost worker.
      await logClosed;
      ctx.log.info('task attempt finished', {
        runId,
        attempt: taskAttempt,
        exitCode: exit.exitCode,
        durationMs: outcome.durationMs,
        timedOut: exit.timedOut,
        aborted: exit.aborted,
      });
      throwIfFailed(exit, outcome, spec.timeoutSeconds, outputError, ctx.cancellationDetails?.workerShutdown === true);
      return outcome;
    } finally {
      clearInterval(beat);
    }
  };
}

/** The log's last line: how the command ended, in Capstan's words. */
function endNote(exit: ProcessGroupExit, timeoutSeconds: number, elapsedMs: number): string {
  if (exit.aborted) return `[capstan] attempt stopped after ${elapsedMs} ms; process group killed`;
  if (exit.timedOut) return `[capstan] timed out after ${timeoutSeconds}s; process group killed`;
  return `[capstan] exited with code ${exit.exitCode} after ${elapsedMs} ms`;
}

function throwIfFailed(
  exit: ProcessGroupExit,
  outcome: CommandOutcome,
  timeoutSeconds: number,
  outputError: string | undefined,
  workerShutdown: boolean,
): void {
  if (exit.aborted) {
    // A stopping worker hands the attempt back for another worker; a user's cancel ends it.
    if (workerShutdown) {
      throw ApplicationFailure.create({
        type: FailureTypes.workerShutdown,
        message: 'worker shut down during the attempt; process group killed',
        details: [{ activityAttempt: outcome.activityAttempt }],
      });
    }
    throw new CancelledFailure('task cancelled; process group killed');
  }
  if (!exit.timedOut && exit.exitCode === 0 && outputError === undefined) return;
  // The failure carries the command's last lines, and its message the very last one, so it explains itself.
  const logTail = logTailOf(outcome);
  const lastLine = lastLineOf(logTail);
  const said = lastLine === undefined ? '' : `: ${lastLine}`;
  const details = [{ ...outcome, ...(logTail ? { logTail } : {}) }];
  if (exit.timedOut) {
    throw ApplicationFailure.create({
      type: FailureTypes.commandTimedOut,
      message: `command timed out after ${timeoutSeconds}s; its process group was killed${said}`,
      details,
    });
  }
  throw ApplicationFailure.create({
    type: FailureTypes.commandFailed,
    message: outputError ?? `command exited with code ${exit.exitCode}${said}`,
    details,
  });
}

/**
 * A spec that can never run (a working directory outside the workspace, a missing stored output,
 * input Node refuses: ERR_INVALID_ARG_*, arguments and environment past the system's total: E2BIG)
 * fails at once. Anything else (disk full, a missing shell) is this worker's problem, so Temporal retries it elsewhere.
 */
function setupFailure(err: unknown, activityAttempt: number): ApplicationFailure {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const invalid = err instanceof InvalidTaskError || code.startsWith('ERR_INVALID_ARG') || code === 'E2BIG';
  const reason =
    code === 'E2BIG'
      ? 'args and env together are more than the system passes to a program (E2BIG); put large values inside "script" instead'
      : (err as Error).message;
  const message = `could not start the command: ${reason}`;
  return ApplicationFailure.create({
    type: invalid ? FailureTypes.invalidTask : FailureTypes.workerSetupFailed,
    message,
    nonRetryable: invalid,
    details: [{ activityAttempt }],
  });
}

function heartbeatIntervalMs(heartbeatTimeoutMs: number | undefined, maxMs: number): number {
  return Math.max(200, Math.min(maxMs, heartbeatTimeoutMs ? heartbeatTimeoutMs / 3 : maxMs));
}
