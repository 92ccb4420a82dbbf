/** The stack operation workflow's query and approval update, shared with the API. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision } from '../contracts/approval';
import type { StackOperationState } from '../contracts/stack-operation';

/** Live state of a stack operation. */
export const stackStateQuery = defineQuery<StackOperationState>('stackState');

/**
 * Approves or rejects the previewed plan of an `up` waiting between preview and apply; the validator
 * refuses (no history written) when not allowed.
 */
export const stackApprovalUpdate = defineUpdate<StackOperationState, [ApprovalDecision]>('decideStackApproval');
