/** Forge activities: commit statuses on GitHub and GitLab. */
export {
  createForgeActivities,
  type ForgeActivityDeps,
  type ReportCommitStatusInput,
  type ReportCommitStatusResult,
} from './commit-status';
export { MAX_DESCRIPTION_CHARS, type CommitState } from './status-request';
