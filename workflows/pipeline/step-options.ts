/** Activity-options presets of the pipeline workflow. */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';

/** Limits every pipeline run gets. */
export interface PipelinePolicy {
  heartbeatTimeoutSeconds: number;
  infraMaxAttempts: number;
  /** The class whose workers run Pulumi, for stack steps. */
  pulumiNodeClass?: string;
}

/** Claiming a workspace: waits for any worker of the class, as long as it takes; quick once taken. */
export function claimOptions(taskQueue: string, policy: PipelinePolicy): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: policy.infraMaxAttempts, initialInterval: '1s', maximumInterval: '30s' },
  };
}

/**
 * A step on the claiming worker's own queue. One try only: that queue dies with its worker, so a
 * lost worker shows as a heartbeat or schedule-to-start timeout and the workflow restarts the job
 * on another worker instead of retrying into an empty queue. With `waitForCancellation` a cancelled
 * run waits until the worker has killed the step's process group, as a cancelled task does.
 */
export function stepOptions(
  workerQueue: string,
  timeoutSeconds: number,
  policy: PipelinePolicy,
  waitForCancellation: boolean,
): ActivityOptions {
  return {
    taskQueue: workerQueue,
    cancellationType: waitForCancellation
      ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
      : ActivityCancellationType.TRY_CANCEL,
    scheduleToStartTimeout: '60s',
    startToCloseTimeout: `${timeoutSeconds + 120}s`,
    heartbeatTimeout: `${policy.heartbeatTimeoutSeconds}s`,
    retry: { maximumAttempts: 1 },
  };
}

/** Releasing a workspace: best effort, on the worker that holds it. */
export function releaseOptions(workerQueue: string): ActivityOptions {
  return {
    taskQueue: workerQueue,
    scheduleToStartTimeout: '30s',
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 1 },
  };
}
