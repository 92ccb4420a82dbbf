/**
 * Baseline fan-out for the DAG bench: plain Temporal with no Capstan code. Workflow-safe: only
 * @temporalio/workflow is imported, and the activity only as a type.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './raw-activities';

/**
 * One root activity, then `width` at once (Promise.all): the shape of the Capstan fan-out DAG. Each is a
 * no-op, or with `command` a process running it (the light task's own work, without Capstan).
 */
export async function rawFanoutWorkflow(activityQueue: string, width: number, command?: string): Promise<void> {
  const { noop, runCommand } = proxyActivities<typeof activities>({
    taskQueue: activityQueue,
    startToCloseTimeout: '1 minute',
  });
  const task = (): Promise<void> => (command === undefined ? noop() : runCommand(command));
  await task();
  await Promise.all(Array.from({ length: width }, () => task()));
}
