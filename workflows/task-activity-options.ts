/** The named activity-options preset of the task workflow. */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { FailureTypes } from './contracts/failure-types';
import type { TaskExecutionPolicy } from './contracts/task-run';

/** Extra time past the command timeout before Temporal itself gives up on an attempt. */
const START_TO_CLOSE_GRACE_SECONDS = 60;

/**
 * Options for one shell-command activity: no schedule-to-start limit (a task waits for a worker
 * of its class), a heartbeat timeout that detects lost workers, and retries only for those.
 */
export function shellCommandActivityOptions(policy: TaskExecutionPolicy, timeoutSeconds: number): ActivityOptions {
  return {
    taskQueue: policy.taskQueue,
    startToCloseTimeout: `${timeoutSeconds + START_TO_CLOSE_GRACE_SECONDS}s`,
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
