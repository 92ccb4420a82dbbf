/** Stack operations: what the API asks for, what the workflow reports, and the one workflow id per stack. */
import { z } from 'zod';
import type { ApprovalRecord } from './approval';

/** A Pulumi project or stack name as Capstan accepts it (safe in a workflow id, a path and a URL). */
export const STACK_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** What can be done to a stack; `drift` is the read-only check the schedule runs. */
export const STACK_OPERATIONS = ['up', 'preview', 'refresh', 'destroy', 'drift'] as const;
/** One stack operation. */
export type StackOperationKind = (typeof STACK_OPERATIONS)[number];

/** A stack operation run as a DAG task or a pipeline step: its stack outputs become the task's or step's outputs. */
export const StackTaskSchema = z.strictObject({
  project: z.string().regex(STACK_NAME_PATTERN, 'must be lowercase letters, digits and dashes'),
  stack: z.string().regex(STACK_NAME_PATTERN, 'must be lowercase letters, digits and dashes'),
  operation: z.enum(['up', 'refresh', 'preview']).default('up'),
});

export { stackWorkflowId } from './stack-ids';

/** Who may approve an `up`, as for deploy jobs. */
export interface StackApprovalPolicy {
  approvers: string[];
  /** Whether the principal who asked for the operation may approve it. */
  allowRequester: boolean;
  timeoutSeconds: number;
}

/** Input of the stack operation workflow. */
export interface StackOperationInput {
  project: string;
  stack: string;
  operation: StackOperationKind;
  requestedBy: string;
  /** Only for `up`: wait for approval between preview and apply. */
  approval?: StackApprovalPolicy;
  /** The node-class queue whose workers run Pulumi. */
  taskQueue: string;
}

/** One resource the engine plans to change (or found drifted). */
export interface ResourceChange {
  urn: string;
  type: string;
  op: string;
  /** Property names that differ, when the engine says. */
  diffs?: string[];
}

/** What a preview found: counts per operation and each resource that would change. */
export interface StackPreview {
  changeSummary: Record<string, number>;
  changes: ResourceChange[];
}

/** What an operation that changed the stack did, and the stack outputs after it (secrets masked). */
export interface StackApplyResult {
  resourceChanges: Record<string, number>;
  outputs: Record<string, unknown>;
}

/** A drift check's finding: which resources in the state no longer match what exists. */
export interface DriftReport {
  drifted: boolean;
  checkedAt: string;
  resources: ResourceChange[];
}

/** Phases an operation moves through. */
export type StackPhase =
  | 'previewing'
  | 'waiting-approval'
  | 'applying'
  | 'refreshing'
  | 'destroying'
  | 'checking-drift'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'cancelled';

/** Live and final state of one stack operation (query and result). */
export interface StackOperationState {
  project: string;
  stack: string;
  operation: StackOperationKind;
  requestedBy: string;
  phase: StackPhase;
  preview?: StackPreview;
  approval?: ApprovalRecord;
  result?: StackApplyResult;
  drift?: DriftReport;
  message?: string;
}

/** Engine progress an activity heartbeats: resources done so far by operation. */
export interface StackProgress {
  phase: string;
  done: Record<string, number>;
  lastResource?: string;
}

/** How a secret stack output travels through runs and API answers: a reference the worker resolves just before a command runs. */
export function stackOutputRef(project: string, stack: string, key: string): string {
  return `capstan-stack-output:${project}/${stack}:${key}`;
}

/** Finds stack output references in a text. */
export const STACK_OUTPUT_REF_PATTERN =
  /capstan-stack-output:([a-z][a-z0-9-]{0,62})\/([a-z][a-z0-9-]{0,62}):([A-Za-z_][A-Za-z0-9_]{0,127})/g;
