/** The shell-command activity behind its worker's resource gate: an attempt starts its command only once it fits. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { RESOURCE_WAIT_LIMIT_SECONDS } from '../../workflows/contracts/attempt-timing';
import { FailureTypes } from '../../workflows/contracts/failure-types';
import type { CommandOutcome } from '../../workflows/contracts/task-run';
import type { ResourceGate, ResourceRelease } from './resource-gate';
import type { RunShellCommandInput } from './run-shell-command';

type RunShellCommand = (input: RunShellCommandInput) => Promise<CommandOutcome>;

/**
 * Wraps `run` so each attempt first takes its resources from `gate` (the task's `resources`, or an
 * equal share of the worker) and gives them back when the attempt ends, however it ends.
 */
export function gatedShellCommand(gate: ResourceGate, run: RunShellCommand, maxHeartbeatIntervalMs: number) {
  return async function runShellCommand(input: RunShellCommandInput): Promise<CommandOutcome> {
    const release = await waitForRoom(gate, input, maxHeartbeatIntervalMs);
    try {
      return await run(input);
    } finally {
      release();
    }
  };
}

async function waitForRoom(
  gate: ResourceGate,
  input: RunShellCommandInput,
  maxHeartbeatIntervalMs: number,
): Promise<ResourceRelease> {
  const ctx = Context.current();
  const activityAttempt = ctx.info.attempt;
  const request = gate.requestOf(input.spec.resources);
  const never = gate.neverFits(request);
  if (never !== undefined) {
    // Retryable: another worker of the class (started with a larger node-class file) may hold it.
    throw ApplicationFailure.create({
      type: FailureTypes.workerSetupFailed,
      message: `could not start the command: ${never}`,
      details: [{ activityAttempt }],
    });
  }
  if (!gate.wouldWait(request)) return gate.acquire(request);
  // A long wait must not look like a lost worker: heartbeats carry the attempt, as the command's do, and
  // bring a cancel request in. Metering has already opened the attempt: the wait is billed, as the slot is held.
  const heartbeat = (): void => ctx.heartbeat({ attempt: activityAttempt, waitingForResources: true });
  heartbeat();
  const timeoutMs = ctx.info.heartbeatTimeoutMs;
  const beat = setInterval(
    heartbeat,
    Math.max(200, Math.min(maxHeartbeatIntervalMs, timeoutMs ? timeoutMs / 3 : maxHeartbeatIntervalMs)),
  );
  ctx.log.info('task attempt waits for resources', { ...request, held: gate.held, waiting: gate.waiting });
  // Temporal's attempt timer runs during the wait; past the limit it leaves, the attempt goes to another worker.
  const waitLimit = AbortSignal.timeout(RESOURCE_WAIT_LIMIT_SECONDS * 1000);
  try {
    return await gate.acquire(request, AbortSignal.any([ctx.cancellationSignal, waitLimit]));
  } catch (err) {
    if (waitLimit.aborted && !ctx.cancellationSignal.aborted) {
      throw ApplicationFailure.create({
        type: FailureTypes.workerSetupFailed,
        message: `waited ${RESOURCE_WAIT_LIMIT_SECONDS} s for room on this worker without getting it`,
        details: [{ activityAttempt }],
      });
    }
    if (!ctx.cancellationSignal.aborted) throw err;
    if (ctx.cancellationDetails?.workerShutdown === true) {
      throw ApplicationFailure.create({
        type: FailureTypes.workerShutdown,
        message: 'worker shut down while the attempt waited for resources',
        details: [{ activityAttempt }],
      });
    }
    throw new CancelledFailure('task cancelled while it waited for resources');
  } finally {
    clearInterval(beat);
  }
}
