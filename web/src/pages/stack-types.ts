/** Shapes of stack operations the API sends as loose objects, and how the console groups a preview's changes. */
import type { components } from '../http/schema.gen';

/** A stack in the list. */
export type StackListEntry = components['schemas']['StackListEntry'];
/** A stack with its resources. */
export type StackDetail = components['schemas']['StackDetail'];
/** One operation of a stack's history. */
export type StackOperationEntry = components['schemas']['StackOperationEntry'];

/** One resource the engine plans to change, changed, or found drifted. */
export interface ResourceChange {
  urn: string;
  type: string;
  op: string;
  diffs?: string[];
}

/** Who decided an approval gate, when and with what comment. */
export interface ApprovalRecord {
  state: 'waiting' | 'approved' | 'rejected' | 'timed-out';
  by?: string;
  at?: string;
  comment?: string;
}

/** A stack operation's state as `GET /v1/runs/:id` shows it under `stack`. */
export interface StackOperationState {
  project: string;
  stack: string;
  operation: string;
  requestedBy: string;
  phase: string;
  preview?: { changeSummary: Record<string, number>; changes: ResourceChange[] };
  approval?: ApprovalRecord;
  result?: { resourceChanges: Record<string, number>; outputs: Record<string, unknown> };
  drift?: { drifted: boolean; checkedAt: string; resources: ResourceChange[] };
  message?: string;
}

/** Engine progress a Pulumi activity heartbeats. */
export interface StackProgress {
  phase?: string;
  done?: Record<string, number>;
  lastResource?: string;
}

/** The four groups a diff is read in, in the order people read them. */
export const DIFF_GROUPS = ['create', 'update', 'replace', 'delete'] as const;
/** One group of a diff. */
export type DiffGroup = (typeof DIFF_GROUPS)[number] | 'other';

/** The group of a Pulumi step op: every replacement step is a replace. */
export function groupOf(op: string): DiffGroup {
  if (op === 'create' || op === 'update' || op === 'delete') return op;
  if (op.includes('replace')) return 'replace';
  return 'other';
}

/** A resource's name from its URN (the part after the last `::`). */
export function nameOfUrn(urn: string): string {
  const at = urn.lastIndexOf('::');
  return at === -1 ? urn : urn.slice(at + 2);
}

/** Counts by op as words, `same` last: "1 create, 2 same". */
export function countsInWords(counts: Record<string, number> | undefined): string {
  const entries = Object.entries(counts ?? {}).filter(([, n]) => n > 0);
  entries.sort(([a], [b]) => (a === 'same' ? 1 : b === 'same' ? -1 : a.localeCompare(b)));
  return entries.map(([op, n]) => `${n} ${op}`).join(', ') || 'no changes';
}

/** The run id of every operation on a stack. */
export function stackRunId(project: string, stack: string): string {
  return `stack:${project}/${stack}`;
}
