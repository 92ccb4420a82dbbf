/** Runs one task to its end: command retries with backoff, lost-worker retries by Temporal. Shared by the task and DAG workflows. */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  TimeoutFailure,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type { createShellActivities } from '../activities/shell';
import { FailureTypes } from './contracts/failure-types';
import type { CommandOutcome, TaskExecutionPolicy, TaskResult, TaskState } from './contracts/task-run';
import type { TaskRetry, TaskSpec } from './contracts/task-spec';
import { taskSummary } from './summaries';
import { shellCommandActivityOptions } from './task-activity-options';
import { taskPriority } from './task-priority';
import { hostTaskQueue } from './contracts/node-class';

type ShellActivities = ReturnType<typeof createShellActivities>;

/** Options of one task execution. */
export interface ExecuteTaskOptions {
  /** Temporal task priority of the attempts (1 first, 5 last). */
  priority?: number;
  /** Names the task inside its run (a DAG node key), so tasks of one run get workspaces of their own. */
  workspaceKey?: string;
  /** Called whenever `state` changes phase, e.g. to update the Web UI's details. */
  onProgress?: (state: TaskState) => void;
}

/**
 * Runs `spec` until it succeeds or its last command attempt fails; updates `state` as it goes.
 * Throws a `TaskFailed` ApplicationFailure naming the exit code, or a CancelledFailure.
 */
export async function executeTask(
  spec: TaskSpec,
  policy: TaskExecutionPolicy,
  state: TaskState,
  options: ExecuteTaskOptions = {},
): Promise<TaskResult> {
  const priority = taskPriority(options.priority, policy);
  const { runShellCommand } = proxyActivities<ShellActivities>({
    // A task aimed at a host goes to that host's queue of its class; without `host` nothing changes.
    ...shellCommandActivityOptions(
      spec.host === undefined ? policy : { ...policy, taskQueue: hostTaskQueue(policy.taskQueue, spec.host) },
      spec.timeoutSeconds,
    ),
    ...(priority === undefined ? {} : { priority }),
  });
  const startedAt = new Date().toISOString();
  for (;;) {
    options.onProgress?.(state);
    try {
      const summary = taskSummary(spec.name, spec.nodeClass, state.commandAttempt, spec.retry.maxAttempts);
      const outcome = await runShellCommand.executeWithOptions({ summary }, [
        { spec, attemptsBefore: state.attemptsFinished, workspaceKey: options.workspaceKey },
      ]);
      state.attemptsFinished += outcome.activityAttempt;
      state.phase = 'succeeded';
      const { activityAttempt: _a, timedOut: _t, commandStartedAt, ...rest } = outcome;
      return {
        ...rest,
        attempts: state.attemptsFinished,
        startedAt: commandStartedAt ?? startedAt,
        finishedAt: new Date().toISOString(),
      };
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
      options.onProgress?.(state);
      await sleep(delayMs, { summary: `${taskSummary(spec.name, spec.nodeClass)}: backing off before a retry` });
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
  const carried =
    cause instanceof TimeoutFailure
      ? (cause.lastHeartbeatDetails as { attempt?: number } | undefined)?.attempt
      : cause instanceof ApplicationFailure
        ? (cause.details?.[0] as { activityAttempt?: number } | undefined)?.activityAttempt
        : undefined;
  return carried ?? 1;
}

function taskFailure(state: TaskState, outcome: CommandOutcome | undefined, cause: unknown): ApplicationFailure {
  const attempts = `${state.attemptsFinished} attempt${state.attemptsFinished === 1 ? '' : 's'}`;
  // lastFailure is the activity's own message: the exit code, the timeout, or the bad output line.
  const message =
    outcome === undefined
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
