/**
 * A concurrency lock: its workflow id is the lock, so Temporal lets one holder exist at a time.
 * Pipelines take one per concurrency group (a run, a job, or a deploy environment); a newcomer
 * with cancel-in-progress preempts the holder instead of waiting behind it.
 */
import { condition, defineSignal, getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';

/** Ends the lock (its holder is done with the group). */
export const releaseLockSignal = defineSignal('release');
/** Asks the lock to cancel its holder and end, so the sender can take the group. */
export const preemptLockSignal = defineSignal<[{ by: string }]>('preempt');
/** Sent to a holder before it is cancelled: which run took which group from it. */
export const lockPreemptedSignal = defineSignal<[{ by: string; group: string }]>('lock-preempted');

/**
 * Since this patch a preempted lock stays held until its holder lets go or closes, so the next
 * member starts only once the holder's steps are dead; before it, the lock ended at the cancel request.
 */
const HELD_UNTIL_HOLDER_ENDS = 'lock-held-until-preempted-holder-ends';

/** Input of `concurrencyLockWorkflow`. */
export interface ConcurrencyLockInput {
  /** Run id of the pipeline run holding the lock, shown in the Web UI. */
  holder: string;
  /** The group's name, told to a preempted holder (absent in locks started before it was passed). */
  group?: string;
}

/** Held until released, or, once preempted, until its holder lets go or closes (parent-close policy terminates it). */
export async function concurrencyLockWorkflow({ holder, group }: ConcurrencyLockInput): Promise<void> {
  let released = false;
  let preemptedBy: string | undefined;
  setHandler(releaseLockSignal, () => {
    released = true;
  });
  setHandler(preemptLockSignal, ({ by }) => {
    if (by !== holder) preemptedBy = by;
  });
  await condition(() => released || preemptedBy !== undefined);
  if (released) return;
  const holderRun = getExternalWorkflowHandle(holder);
  if (!patched(HELD_UNTIL_HOLDER_ENDS)) {
    await holderRun.cancel();
    return;
  }
  // The holder may have ended in between; then there is no one to tell, and its close ends this lock.
  await holderRun.signal(lockPreemptedSignal, { by: preemptedBy!, group: group ?? '' }).catch(() => undefined);
  await holderRun.cancel().catch(() => undefined);
  await condition(() => released);
}

/** The workflow id of a concurrency group's lock. */
export function concurrencyLockId(taskQueuePrefix: string, group: string): string {
  return `lock:${taskQueuePrefix}:${group}`;
}
