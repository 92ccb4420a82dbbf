/** The stack operation workflow's query and approval update, shared with the API. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { StackOperationState } from '../contracts/stack-operation';

/** Live state of a stack operation. */
export const stackStateQuery = defineQuery<StackOperationState>('stackState');

/** An approver's decision on an `up` waiting between preview and apply. */
export interface StackDecision {
  approve: boolean;
  by: string;
  comment?: string;
}

/** Approves or rejects the previewed plan; the validator refuses (no history written) when not allowed. */
export const stackApprovalUpdate = defineUpdate<StackOperationState, [StackDecision]>('decideStackApproval');
