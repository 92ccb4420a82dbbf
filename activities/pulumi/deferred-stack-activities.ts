/**
 * Stack activities of a worker whose Pulumi CLI is still being obtained (a first `npm start` builds it
 * in the background): each operation waits for it a while, heartbeating, then runs as usual, or fails
 * retryably saying in plain words that the CLI is still being built.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { createStackActivities, type StackActivities, type StackActivityDeps } from './stack-activities';
import { recordOperation } from '../../db/stores/stack-records';
import { FailureTypes } from '../../workflows/contracts/failure-types';

/** The Pulumi runtime a worker is obtaining, and since when. */
export interface PendingStackDeps {
  ready: Promise<StackActivityDeps>;
  startedAt: number;
}

/** How long one attempt waits for the CLI; the operation's retries wait again. */
export const PULUMI_WAIT_PER_ATTEMPT_MS = 60_000;

/** Stack activities that first wait (at most `waitMs`) for `pending`; recording the operation never waits. */
export function deferredStackActivities(
  pending: PendingStackDeps,
  db: Pool,
  waitMs = PULUMI_WAIT_PER_ATTEMPT_MS,
): StackActivities {
  let activities: StackActivities | undefined;
  let failure: string | undefined;
  void pending.ready.then(
    (deps) => {
      activities = createStackActivities(deps);
    },
    (err: unknown) => {
      failure = (err as Error).message;
    },
  );
  const ready = async (): Promise<StackActivities> => {
    if (!activities && failure === undefined) await waitHeartbeating(pending.ready, waitMs);
    if (activities) return activities;
    if (failure !== undefined) {
      throw ApplicationFailure.retryable(`this worker has no Pulumi CLI: ${failure}`, FailureTypes.pulumiUnavailable);
    }
    const seconds = Math.round((Date.now() - pending.startedAt) / 1000);
    throw ApplicationFailure.retryable(
      `the Pulumi CLI is still being built (${seconds}s so far); this operation is retried and runs once it is ready`,
      FailureTypes.pulumiUnavailable,
    );
  };
  return {
    previewStack: async (input) => (await ready()).previewStack(input),
    applyStack: async (input) => (await ready()).applyStack(input),
    refreshStack: async (input) => (await ready()).refreshStack(input),
    destroyStack: async (input) => (await ready()).destroyStack(input),
    checkDrift: async (input) => (await ready()).checkDrift(input),
    recordStackOperation: (input) => recordOperation(db, input, input),
  };
}

/** Waits for `promise` at most `waitMs`, heartbeating so the wait is neither timed out nor deaf to cancellation. */
async function waitHeartbeating(promise: Promise<unknown>, waitMs: number): Promise<void> {
  const context = Context.current();
  context.heartbeat({ phase: 'waiting for the Pulumi CLI' });
  const timer = setInterval(() => context.heartbeat({ phase: 'waiting for the Pulumi CLI' }), 5000);
  let timeout: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise.then(
        () => undefined,
        () => undefined,
      ),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, waitMs);
      }),
      context.cancelled,
    ]);
  } finally {
    clearInterval(timer);
    clearTimeout(timeout);
  }
}
