/** The Temporal priority of a task's activities: the user's priority key and the run's fairness key and weight. */
import type { Priority } from '@temporalio/common';
import type { TaskExecutionPolicy } from './contracts/task-run';

/**
 * The priority to schedule a task's attempts with, or undefined when neither is set: a run recorded
 * before priorities or fairness keys existed then schedules exactly the commands it did.
 */
export function taskPriority(priorityKey: number | undefined, policy: TaskExecutionPolicy): Priority | undefined {
  const fairness = policy.fairness;
  if (priorityKey === undefined && fairness === undefined) return undefined;
  return {
    ...(priorityKey === undefined ? {} : { priorityKey }),
    ...(fairness === undefined ? {} : { fairnessKey: fairness.key }),
    ...(fairness?.weight === undefined ? {} : { fairnessWeight: fairness.weight }),
  };
}
