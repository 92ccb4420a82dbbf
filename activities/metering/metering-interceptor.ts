/**
 * Meters every task attempt from outside the activity: an activity interceptor opens the attempt's
 * row before the command runs, keeps it fresh while it runs, and closes it with the outcome.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import type { Logger } from '../../config/logger';
import { FailureTypes } from '../../workflows/contracts/failure-types';
import type { CommandOutcome } from '../../workflows/contracts/task-run';
import type { RunJobStepInput, StepMeter } from '../pipeline/job-activities';
import type { RunShellCommandInput } from '../shell';
import type { AttemptEnd, AttemptKey, AttemptLedger } from '../../db/stores/attempt-ledger';
import { retryWrite } from './retry-write';
import { countInFlight } from './in-flight';

/** Settings of the metering interceptor. */
export interface MeteringOptions {
  ledger: AttemptLedger;
  worker: string;
  logger: Logger;
  /** How often a running attempt's row is refreshed. */
  touchIntervalMs: number;
}

/** The worker interceptor factory that meters `runShellCommand` attempts. */
export function meteringInterceptors(options: MeteringOptions): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new MeteringInbound(ctx, options) });
}

class MeteringInbound implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly options: MeteringOptions,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { info } = this.ctx;
    const metered = meteredAttempt(info.activityType, input.args[0], info.attempt);
    if (metered === undefined) return next(input);
    // Counted from the moment the slot is taken (the start write included), as the worker's health reports see it.
    return countInFlight(() => this.executeMetered(input, next, metered));
  }

  private async executeMetered(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
    metered: StepMeter,
  ): Promise<unknown> {
    const { info } = this.ctx;
    const key: AttemptKey = {
      runId: info.workflowExecution?.workflowId ?? info.activityId,
      taskId: metered.taskId,
      attempt: metered.attempt,
    };
    const { ledger, logger } = this.options;
    // Scheduled-to-start of this attempt: the time it sat in the class's queue (0 on a clock skew between machines).
    const scheduledMs = info.currentAttemptScheduledTimestampMs;
    const queueWaitMs = scheduledMs > 0 ? Math.max(0, Date.now() - scheduledMs) : undefined;
    // Nothing runs unmetered: while the start cannot be written the command waits (nothing has run yet, so waiting costs only the slot).
    await this.writeWhileAlive(
      key,
      'start',
      () =>
        ledger.recordStart({
          ...key,
          runKind: (info.workflowType ?? 'activity').replace(/Workflow$/, ''),
          nodeClass: metered.nodeClass,
          worker: this.options.worker,
          activityId: info.activityId,
          labels: metered.labels,
          startedAt: new Date(),
          queueWaitMs,
          supersedes: metered.supersedes,
        }),
      true,
    );
    const touch = setInterval(() => {
      ledger
        .touch(key, new Date())
        .catch((err: Error) => logger.warn({ ...key, err: err.message }, 'metering refresh failed'));
    }, this.options.touchIntervalMs);
    let end: AttemptEnd | undefined;
    try {
      const result = await next(input);
      end = { outcome: 'succeeded', endedAt: new Date(), exitCode: (result as CommandOutcome).exitCode };
      return result;
    } catch (err) {
      end = endOfFailure(err);
      throw err;
    } finally {
      clearInterval(touch);
      const ended = end ?? { outcome: 'error', endedAt: new Date() };
      await this.writeWhileAlive(key, 'end', () => ledger.recordEnd(key, ended));
    }
  }

  /**
   * Keeps trying until the write lands, heartbeating meanwhile so Temporal knows the worker is alive;
   * each failure is logged. The end is never given up on because failing the attempt would run the
   * command again; a cancelled attempt stops waiting (its row is then closed by the lost-attempt sweeper).
   */
  private async writeWhileAlive(
    key: AttemptKey,
    what: 'start' | 'end',
    write: () => Promise<void>,
    throwOnCancel = false,
  ): Promise<void> {
    const { logger } = this.options;
    const heartbeatMs = Math.min(5000, (this.ctx.info.heartbeatTimeoutMs ?? 15_000) / 3);
    let beat: NodeJS.Timeout | undefined;
    try {
      await retryWrite(write, {
        signal: this.ctx.cancellationSignal,
        onError: (err) => {
          logger.error(
            { ...key, err: err.message },
            `metering ${what} write failed; retrying until the database answers`,
          );
          beat ??= setInterval(
            () =>
              this.ctx.heartbeat({
                attempt: this.ctx.info.attempt,
                metering: `waiting for the database to record the ${what}`,
              }),
            heartbeatMs,
          );
        },
      });
    } catch (err) {
      logger.error({ ...key, err: (err as Error).message }, `metering ${what} not written`);
      if (throwOnCancel) throw err;
    } finally {
      clearInterval(beat);
    }
  }
}

/** The metering identity of an activity that runs user work: shell tasks and pipeline steps; undefined for bookkeeping activities. */
function meteredAttempt(activityType: string, arg: unknown, activityAttempt: number): StepMeter | undefined {
  if (activityType === 'runShellCommand') {
    const { spec, attemptsBefore = 0, workspaceKey } = arg as RunShellCommandInput;
    return {
      taskId: workspaceKey ?? 'task',
      attempt: attemptsBefore + activityAttempt,
      nodeClass: spec.nodeClass,
      labels: spec.labels,
    };
  }
  if (activityType === 'runJobStep') return (arg as RunJobStepInput).meter;
  return undefined;
}

function endOfFailure(err: unknown): AttemptEnd {
  const endedAt = new Date();
  if (err instanceof CancelledFailure) return { outcome: 'cancelled', endedAt };
  if (err instanceof ApplicationFailure) {
    const outcome = err.details?.[0] as Partial<CommandOutcome> | undefined;
    if (err.type === FailureTypes.commandFailed || err.type === FailureTypes.stepFailed)
      return { outcome: 'failed', endedAt, exitCode: outcome?.exitCode, detail: err.message };
    if (err.type === FailureTypes.commandTimedOut)
      return { outcome: 'timed_out', endedAt, exitCode: outcome?.exitCode, detail: err.message };
    if (err.type === FailureTypes.workerShutdown) return { outcome: 'lost', endedAt, detail: err.message };
  }
  return { outcome: 'error', endedAt, detail: err instanceof Error ? err.message : String(err) };
}
