/** The pipeline workflow's query and update, shared with the API. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision } from '../contracts/approval';
import type { JobRecord, PipelineRunState } from '../contracts/pipeline-run';

/** Live state of a pipeline run: every job with its steps, approval and rollback. */
export const pipelineStateQuery = defineQuery<PipelineRunState>('pipelineState');

/** An approver's decision on a job waiting for approval. */
export interface JobApprovalDecision extends ApprovalDecision {
  jobId: string;
}

/** Approves or rejects a waiting deploy job; rejected by its validator (no history written) when not allowed. */
export const approvalUpdate = defineUpdate<JobRecord, [JobApprovalDecision]>('decideApproval');
