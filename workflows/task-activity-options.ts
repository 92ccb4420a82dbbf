/** The named activity-options preset of the task workflow. */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { RESOURCE_WAIT_LIMIT_SECONDS, START_TO_CLOSE_GRACE_SECONDS } from './contracts/attempt-timing';
import { FailureTypes } from './contracts/failure-types';
import type { TaskExecutionPolicy } from './contracts/task-run';

/**
 * Options for one shell-command activity: no schedule-to-start limit (a task waits for a worker
 * of its class), a heartbeat timeout that detects lost workers, and retries only for those.
 */
export function shellCommandActivityOptions(policy: TaskExecutionPolicy, timeoutSeconds: number): ActivityOptions {
  return {
    taskQueue: policy.taskQueue,
    // The command's own timeout starts when it does: a wait for room on the worker comes before it.
    startToCloseTimeout: `${timeoutSeconds + START_TO_CLOSE_GRACE_SECONDS + RESOURCE_WAIT_LIMIT_SECONDS}s`,
    heartbeatTimeout: `${policy.heartbeatTimeoutSeconds}s`,
    // Wait for the worker to confirm the process group is dead before the run reports cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: policy.infraMaxAttempts,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      // Command failures are the workflow's to retry with the user's policy.
      nonRetryableErrorTypes: [FailureTypes.commandFailed, FailureTypes.commandTimedOut, FailureTypes.invalidTask],
    },
  };
}
