/**
 * Baseline fan-out for the DAG bench: plain Temporal with no Capstan code. Workflow-safe: only
 * @temporalio/workflow is imported, and the activity only as a type.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './raw-activities';

/** One root no-op activity, then `width` no-op activities at once (Promise.all): the shape of the Capstan fan-out DAG. */
export async function rawFanoutWorkflow(activityQueue: string, width: number): Promise<void> {
  const { noop } = proxyActivities<typeof activities>({ taskQueue: activityQueue, startToCloseTimeout: '1 minute' });
  await noop();
  await Promise.all(Array.from({ length: width }, () => noop()));
}
