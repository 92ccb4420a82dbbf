/** What a pipeline's Temporal Schedule starts with, and what its start activity answers. Pure, shared by the API, workflow and activity. */
import type { PipelineRunInput } from './pipeline-run';
import type { PipelineSpec } from './pipeline-spec';

/** Input of `scheduledPipelineWorkflow`: the pipeline as validated when the schedule was set, and where to find the head. */
export interface ScheduledPipelineInput {
  /** Registered repository name. */
  repository: string;
  cloneUrl: string;
  pipelinePath: string;
  /** SHA-256 of the pipeline file's text the spec was read from; the file at the head must still be this one. */
  digest: string;
  spec: PipelineSpec;
  policy: PipelineRunInput['policy'];
}

/** Input of the `prepareScheduledRun` activity: read the default branch's head and record the run about to start. */
export interface PrepareScheduledRunInput {
  repository: string;
  cloneUrl: string;
  pipelinePath: string;
  digest: string;
  runId: string;
  name: string;
  startedBy: string;
}

/** The default branch and its head commit, whose pipeline file is the scheduled one. */
export interface ScheduledHead {
  branch: string;
  sha: string;
}

/** The failure type when the file at the head is not the one the schedule was set from (a push Capstan did not receive). */
export const SCHEDULED_PIPELINE_CHANGED = 'ScheduledPipelineChanged';

/** The memo of a pipeline's schedule: what stays the same for its life (the cron and commit are in its note). */
export interface PipelineScheduleMemo {
  repository: string;
  pipelinePath: string;
}
