/** The task workflow: one shell command on a worker of its node class, retried by the user's policy. */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  TimeoutFailure,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { createShellActivities } from '../activities/shell';
import { FailureTypes, type CommandOutcome, type TaskResult, type TaskState, type TaskWorkflowInput } from './contracts/task-run';
import type { TaskRetry } from './contracts/task-spec';
import { taskStateQuery } from './definitions';
import { shellCommandActivityOptions } from './task-activity-options';

type ShellActivities = ReturnType<typeof createShellActivities>;

/** Runs a shell task and returns its result, or fails naming the exit code after the last attempt. */
export async function taskWorkflow(input: TaskWorkflowInput): Promise<TaskResult> {
  const { spec, policy } = input;
  const { runShellCommand } = proxyActivities<ShellActivities>(shellCommandActivityOptions(policy, spec.timeoutSeconds));
  const state: TaskState = { phase: 'dispatched', commandAttempt: 1, attemptsFinished: 0 };
  setHandler(taskStateQuery, () => state);
  const startedAt = new Date().toISOString();

  for (;;) {
    setCurrentDetails(describeAttempt(state, spec.retry.maxAttempts, spec.nodeClass));
    try {
      const outcome = await runShellCommand({ spec, attemptsBefore: state.attemptsFinished });
      state.attemptsFinished += outcome.activityAttempt;
      state.phase = 'succeeded';
      const { activityAttempt: _a, timedOut: _t, ...rest } = outcome;
      return { ...rest, attempts: state.attemptsFinished, startedAt, finishedAt: new Date().toISOString() };
    } catch (err) {
      // After a cancel request any ending of the attempt (even a heartbeat timeout) means cancelled.
      if (isCancellation(err) || CancellationScope.current().consideredCancelled) {
        state.phase = 'cancelled';
        throw isCancellation(err) ? err : new CancelledFailure('task cancelled');
      }
      const outcome = commandOutcomeOf(err);
      state.attemptsFinished += outcome?.activityAttempt ?? attemptsOfLostActivity(err);
      state.lastFailure = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
      if (outcome === undefined || state.commandAttempt >= spec.retry.maxAttempts) {
        state.phase = 'failed';
        throw taskFailure(state, outcome, err);
      }
      const delayMs = backoffMs(spec.retry, state.commandAttempt);
      state.phase = 'backing-off';
      state.nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
      setCurrentDetails(describeAttempt(state, spec.retry.maxAttempts, spec.nodeClass));
      await sleep(delayMs);
      state.commandAttempt += 1;
      state.phase = 'dispatched';
      state.nextAttemptAt = undefined;
    }
  }
}

/** The outcome carried by a command failure (non-zero exit or timeout), if that is what failed. */
function commandOutcomeOf(err: unknown): CommandOutcome | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const { type, details } = err.cause;
  if (type !== FailureTypes.commandFailed && type !== FailureTypes.commandTimedOut) return undefined;
  return details?.[0] as CommandOutcome | undefined;
}

/**
 * Attempts made by an activity that failed without a command outcome: its failure details (setup
 * failures, worker shutdowns) or last heartbeat (lost workers) carry Temporal's attempt number.
 */
function attemptsOfLostActivity(err: unknown): number {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const carried = cause instanceof TimeoutFailure
    ? (cause.lastHeartbeatDetails as { attempt?: number } | undefined)?.attempt
    : cause instanceof ApplicationFailure ? (cause.details?.[0] as { activityAttempt?: number } | undefined)?.activityAttempt : undefined;
  return carried ?? 1;
}

function taskFailure(state: TaskState, outcome: CommandOutcome | undefined, cause: unknown): ApplicationFailure {
  const attempts = `${state.attemptsFinished} attempt${state.attemptsFinished === 1 ? '' : 's'}`;
  // lastFailure is the activity's own message: the exit code, the timeout, or the bad output line.
  const message = outcome === undefined
    ? `task failed after ${attempts}: ${state.lastFailure ?? 'unknown error'}`
    : `${state.lastFailure ?? `command exited with code ${outcome.exitCode}`} (after ${attempts})`;
  const { activityAttempt: _a, ...detail } = outcome ?? { activityAttempt: 0 };
  return ApplicationFailure.create({
    type: FailureTypes.taskFailed,
    message,
    nonRetryable: true,
    details: [{ ...detail, attempts: state.attemptsFinished }],
    cause: cause instanceof Error ? cause : undefined,
  });
}

/** Delay before command attempt `attempt + 1`: exponential, capped. */
export function backoffMs(retry: TaskRetry, attempt: number): number {
  const seconds = retry.initialIntervalSeconds * retry.backoffCoefficient ** (attempt - 1);
  return Math.round(Math.min(seconds, retry.maxIntervalSeconds) * 1000);
}

function describeAttempt(state: TaskState, maxAttempts: number, nodeClass: string): string {
  const base = `**${state.phase}** on node class \`${nodeClass}\`, command attempt ${state.commandAttempt} of ${maxAttempts}`;
  return state.lastFailure ? `${base}\n\nlast failure: ${state.lastFailure}` : base;
}
