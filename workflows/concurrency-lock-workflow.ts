/**
 * A concurrency lock: its workflow id is the lock, so Temporal lets one holder exist at a time.
 * Pipelines take one per concurrency group (a run, a job, or a deploy environment); a newcomer
 * with cancel-in-progress preempts the holder instead of waiting behind it.
 */
import { condition, defineSignal, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';

/** Ends the lock (its holder is done with the group). */
export const releaseLockSignal = defineSignal('release');
/** Asks the lock to cancel its holder and end, so the sender can take the group. */
export const preemptLockSignal = defineSignal<[{ by: string }]>('preempt');

/** Input of `concurrencyLockWorkflow`. */
export interface ConcurrencyLockInput {
  /** Run id of the pipeline run holding the lock, shown in the Web UI. */
  holder: string;
}

/** Held until released, preempted, or its holder closes (parent-close policy terminates it). */
export async function concurrencyLockWorkflow({ holder }: ConcurrencyLockInput): Promise<void> {
  let released = false;
  let preemptedBy: string | undefined;
  setHandler(releaseLockSignal, () => { released = true; });
  setHandler(preemptLockSignal, ({ by }) => { if (by !== holder) preemptedBy = by; });
  await condition(() => released || preemptedBy !== undefined);
  if (!released) await getExternalWorkflowHandle(holder).cancel();
}

/** The workflow id of a concurrency group's lock. */
export function concurrencyLockId(taskQueuePrefix: string, group: string): string {
  return `lock:${taskQueuePrefix}:${group}`;
}

/** A group name with `${{ branch }}` filled in. */
export function resolveGroupName(group: string, branch: string): string {
  return group.replace(/\$\{\{\s*branch\s*\}\}/g, branch);
}
