/** Pipeline activities, built for one worker. */
export {
  createPipelineActivities,
  type JobClaim,
  type JobRef,
  type RunJobStepInput,
  type StepOutcome,
} from './job-activities';
export type { PipelineActivityDeps } from './deps';
export { createDeploymentActivities } from './deployment-activities';
