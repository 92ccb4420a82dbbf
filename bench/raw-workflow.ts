/**
 * Baseline workflows for the overhead bench: plain Temporal with no Capstan code. Workflow-safe:
 * only @temporalio/workflow is imported, and the activity only as a type.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './raw-activities';

/** Same shape of timeout as any simple activity call; no heartbeat, default retry policy. */
function noopActivity(activityQueue: string): typeof activities {
  return proxyActivities<typeof activities>({ taskQueue: activityQueue, startToCloseTimeout: '1 minute' });
}

/** One no-op activity: the raw-Temporal equivalent of one Capstan task. */
export async function rawTaskWorkflow(activityQueue: string): Promise<void> {
  await noopActivity(activityQueue).noop();
}

/** `steps` no-op activities one after another in one workflow, as "per sequential task" figures are usually measured. */
export async function rawChainWorkflow(activityQueue: string, steps: number): Promise<void> {
  const { noop } = noopActivity(activityQueue);
  for (let i = 0; i < steps; i++) await noop();
}
