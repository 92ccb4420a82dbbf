/** The shapes of a pipeline run as `GET /v1/runs/:id` returns them (the OpenAPI document leaves `pipeline` open). */

/** An approval gate's record: waiting, or who decided, when, with what comment. */
export interface ApprovalView {
  state: 'waiting' | 'approved' | 'rejected' | 'timed-out';
  by?: string;
  at?: string;
  comment?: string;
}

/** One step of a job (or of its rollback). */
export interface StepView {
  name: string;
  status: string;
  exitCode?: number;
  attempts?: number;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
}

/** One job with its steps, approval, deployment and rollback. */
export interface JobView {
  /** `build`, or `test[2]` for a combination of matrix job `test`. */
  id: string;
  /** Display name when it differs from the id, e.g. `test (node 18, general)`. */
  name?: string;
  status: string;
  nodeClass: string;
  worker?: string;
  steps: StepView[];
  approval?: ApprovalView;
  deployment?: { environment: string; sha: string; previousSha?: string };
  rollback?: { status: 'succeeded' | 'failed'; steps: StepView[] };
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  /** A re-run took the job over from this earlier run instead of running it. */
  reusedFrom?: string;
  /** The job failed, but `continue-on-error` kept the run going. */
  continuedOnError?: boolean;
  /** Processes the job ran beside its steps (a database for the tests). */
  services?: ServiceView[];
}

/** A service of a job: a process started before its first step and stopped after its last. */
export interface ServiceView {
  name: string;
  status: string;
  pid?: number;
  worker?: string;
  readyAt?: string;
  stoppedAt?: string;
  message?: string;
}

/** The run: what triggered it and its jobs. */
export interface PipelineView {
  name: string;
  trigger: {
    event: string;
    repository: string;
    sha: string;
    /** Empty for a tag push, which names its `tag`. */
    branch: string;
    tag?: string;
    triggeredBy: string;
    deliveryId?: string;
  };
  status: string;
  message?: string;
  commitStatus?: string;
  /** Set on a re-run: the run it re-runs. */
  rerunOf?: string;
  jobs: JobView[];
}

/** The step a log path names: its index, or `rollback-<index>`. */
export function stepParam(index: number, rollback: boolean): string {
  return rollback ? `rollback-${index}` : String(index);
}
