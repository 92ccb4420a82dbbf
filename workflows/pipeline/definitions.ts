/** The pipeline workflow's query and update, shared with the API. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { JobRecord, PipelineRunState } from '../contracts/pipeline-run';

/** Live state of a pipeline run: every job with its steps, approval and rollback. */
export const pipelineStateQuery = defineQuery<PipelineRunState>('pipelineState');

/** An approver's decision on a job waiting for approval. */
export interface ApprovalDecision {
  jobId: string;
  approve: boolean;
  /** The principal deciding (from the API token). */
  by: string;
  comment?: string;
}

/** Approves or rejects a waiting deploy job; rejected by its validator (no history written) when not allowed. */
export const approvalUpdate = defineUpdate<JobRecord, [ApprovalDecision]>('decideApproval');
