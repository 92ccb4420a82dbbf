/** Inputs, results and live state of the task workflow; plain types shared by API, workflow and activity. */
import type { LogTail } from './log-tail';
import type { TaskSpec } from './task-spec';

/** Limits the API decides per run so that the workflow never reads configuration itself. */
export interface TaskExecutionPolicy {
  /** Queue of the node class that runs the command. */
  taskQueue: string;
  /** Seconds without a heartbeat after which the attempt's worker is considered lost. */
  heartbeatTimeoutSeconds: number;
  /** Attempts allowed for infrastructure failures (lost worker) per command attempt. */
  infraMaxAttempts: number;
  /** The class whose workers run Pulumi, for stack tasks of DAGs and stack steps of pipelines. */
  pulumiNodeClass?: string;
  /** The run's team as Temporal's fairness key, and its weight (absent: 1); absent when no fairness label is configured. */
  fairness?: FairnessPolicy;
}

/** A run's share of a busy node class: its fairness key (the team label's value) and that key's weight. */
export interface FairnessPolicy {
  key: string;
  weight?: number;
}

/** Input of `taskWorkflow`. */
export interface TaskWorkflowInput {
  spec: TaskSpec;
  policy: TaskExecutionPolicy;
}

/** Result of one attempt of the shell activity that reached the end of its command. */
export interface CommandOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  outputs: Record<string, string>;
  durationMs: number;
  worker: string;
  /** Activity attempt number as Temporal counts it (infrastructure retries included). */
  activityAttempt: number;
  timedOut: boolean;
  /** When the command started on the worker (absent in results recorded before this field existed). */
  commandStartedAt?: string;
  /** A failed attempt's last lines of stderr (stdout when stderr is empty); absent on success and in older runs. */
  logTail?: LogTail;
}

/** Result of a task run that succeeded. */
export interface TaskResult extends Omit<
  CommandOutcome,
  'activityAttempt' | 'timedOut' | 'commandStartedAt' | 'logTail'
> {
  /** Every activity attempt made for this run: command retries plus lost-worker retries. */
  attempts: number;
  /** When the last attempt's command started on its worker. */
  startedAt: string;
  finishedAt: string;
}

/** Phase of a task run as its workflow sees it. */
export type TaskPhase = 'dispatched' | 'backing-off' | 'succeeded' | 'failed' | 'cancelled';

/** Live state answered by `taskStateQuery`. */
export interface TaskState {
  phase: TaskPhase;
  /** Command attempts started so far (1-based), not counting lost-worker retries. */
  commandAttempt: number;
  /** Activity attempts finished so far, including those lost with a worker. */
  attemptsFinished: number;
  lastFailure?: string;
  nextAttemptAt?: string;
}
