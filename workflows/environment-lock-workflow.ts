/** A lock per deploy environment: its workflow id is the lock, so Temporal lets only one holder exist at a time. */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

/** Ends the lock (its holder's deploy job is over). */
export const releaseLockSignal = defineSignal('release');

/** Input of `environmentLockWorkflow`. */
export interface EnvironmentLockInput {
  /** Run id of the pipeline run holding the lock, shown in the Web UI. */
  holder: string;
}

/** Held until released, or until its parent run closes (parent-close policy terminates it). */
export async function environmentLockWorkflow(_input: EnvironmentLockInput): Promise<void> {
  let released = false;
  setHandler(releaseLockSignal, () => { released = true; });
  await condition(() => released);
}

/** The workflow id of an environment's lock. */
export function environmentLockId(taskQueuePrefix: string, environment: string): string {
  return `env-lock:${taskQueuePrefix}:${environment}`;
}
