/** Pipeline activities, built for one worker. */
export { createPipelineActivities, type JobClaim, type JobRef, type RunJobStepInput, type StepOutcome } from './job-activities';
export { jobWorkspace, stepLogPath, type PipelineActivityDeps } from './deps';
export { createDeploymentActivities, deploymentsOf, latestDeployments, type Deployment } from './deployments';
