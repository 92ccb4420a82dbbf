/** What a pipeline run is started with and what it reports; shared by the pipeline workflow and the API. */
import type { ApprovalRecord } from './approval';
import type { TaskExecutionPolicy } from './task-run';
import type { PipelineSpec } from './pipeline-spec';
import type { MatrixValue } from './dag-spec';

/** An event that starts pipelines; a tag push is a `push` whose trigger names the `tag` (GitHub's `ref_type == tag`). */
export type PipelineEvent = 'push' | 'pull_request' | 'manual' | 'schedule';

/** Where the code comes from and why the run started. */
export interface PipelineTrigger {
  event: PipelineEvent;
  /** Registered repository name, e.g. `acme/web`. */
  repository: string;
  /** What `git clone` / `git fetch` accepts: a local path or a remote URL. */
  cloneUrl: string;
  /** Full commit SHA the run builds. */
  sha: string;
  /** Branch the commit was pushed to (for a pull request: its head branch; for a tag push: empty). */
  branch: string;
  /** The tag pushed, for a tag push (`v1.2.3` of `refs/tags/v1.2.3`). */
  tag?: string;
  /** A manual run's inputs, validated against `on.manual.inputs` with defaults filled in; read by `${{ inputs.<name> }}` and `if:`. */
  inputs?: Record<string, string | number | boolean>;
  /** The forge's delivery id of the webhook, when a webhook started the run. */
  deliveryId?: string;
  /** Who caused the run: the API principal, or the forge user who pushed. */
  triggeredBy: string;
}

/** Input of `pipelineWorkflow`. */
export interface PipelineRunInput {
  spec: PipelineSpec;
  trigger: PipelineTrigger;
  /** Timeouts and retries of infrastructure failures; `taskQueue` is unused (jobs pick their class's queue). */
  policy: Omit<TaskExecutionPolicy, 'taskQueue'> & { taskQueuePrefix: string };
  /** Set on a re-run: the jobs of an earlier run of the same pipeline and commit that it takes over instead of running. */
  reuse?: PipelineReuse;
}

/** What a re-run takes over from the run it re-runs: succeeded jobs, by job id, with their outputs and artifacts. */
export interface PipelineReuse {
  fromRunId: string;
  jobs: Record<string, JobRecord>;
}

/** States of a job, like those of a DAG node, plus waiting for approval. */
export type JobStatus = 'pending' | 'waiting-approval' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** A step's record in the run. */
export interface StepRecord {
  name: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  exitCode?: number;
  attempts?: number;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  /** What the step wrote to `$CAPSTAN_OUTPUT`. */
  outputs?: Record<string, string>;
  /** The step failed, but `continue-on-error` let its job go on (its outcome is failure, its conclusion success). */
  continuedOnError?: boolean;
}

/** A service of a job (a process its steps need), as the run records it. */
export interface ServiceRecord {
  name: string;
  status: 'starting' | 'ready' | 'failed' | 'stopped';
  /** The process group of the service on its worker (its leader's pid). */
  pid?: number;
  worker?: string;
  startedAt?: string;
  readyAt?: string;
  stoppedAt?: string;
  /** Why it failed, quoting its log; or that it exited by itself while the steps ran. */
  message?: string;
}

/** A job's record in the run. */
export interface JobRecord {
  /** The job's id, or `test[2]` for the third combination of matrix job `test`. */
  id: string;
  /** For a matrix combination: the job of the spec it comes from. */
  job?: string;
  /** Display name, when it differs from the id (a job's `name`, or `test (18, general)` for a combination). */
  name?: string;
  /** For a matrix combination: its values. */
  matrix?: Record<string, MatrixValue>;
  status: JobStatus;
  nodeClass: string;
  /** Worker whose workspace the job's steps share. */
  worker?: string;
  steps: StepRecord[];
  approval?: ApprovalRecord;
  /** Deploy jobs: the release they put in place and the one they replaced (from Capstan's deploy history). */
  deployment?: { environment: string; sha: string; previousSha?: string };
  /** The job's `outputs:` rendered from its steps' outputs when it succeeded; what `needs.<job>.outputs` reads. */
  outputs?: Record<string, string>;
  /** The job's services: started before its first step, stopped after its last (their logs: `…/services/<name>/log`). */
  services?: ServiceRecord[];
  /** Set when rollback steps ran after a failure. */
  rollback?: { status: 'succeeded' | 'failed'; steps: StepRecord[] };
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  /** Set when a re-run took this job over from an earlier run instead of running it: that run's id. */
  reusedFrom?: string;
  /** The job failed, but `continue-on-error` kept the run from failing; its dependents ran as on success. */
  continuedOnError?: boolean;
  /** The last commit status sent for this job (context `capstan/<pipeline>/<job>`), or why none was. */
  commitStatus?: string;
}

/** The live and final state of a pipeline run. */
export interface PipelineRunState {
  name: string;
  trigger: PipelineTrigger;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** What the run waits for before its jobs start (a concurrency group), when it waits. */
  message?: string;
  /** The last commit status sent to the forge, or why none was. */
  commitStatus?: string;
  /** Set on a re-run: the run it re-runs. */
  rerunOf?: string;
  jobs: JobRecord[];
}
