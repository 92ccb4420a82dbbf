/**
 * The one-line summaries the Temporal Web UI shows on each activity, timer and child workflow of a
 * Capstan run, so a history says what ran where without Capstan (`test[3] on gpu`, not `runShellCommand`).
 * Pure; summaries are user metadata, which replay does not compare, so changing them needs no patch.
 */

/** `, attempt 2 of 3` when a task may run more than once, else nothing. */
function attemptSuffix(attempt: number, maxAttempts: number): string {
  return maxAttempts > 1 ? `, attempt ${attempt} of ${maxAttempts}` : '';
}

/** A task or DAG node attempt: `build on general`, `test[3] on gpu, attempt 2 of 3`; `task` when unnamed. */
export function taskSummary(name: string | undefined, nodeClass: string, attempt = 1, maxAttempts = 1): string {
  return `${name ?? 'task'} on ${nodeClass}${attemptSuffix(attempt, maxAttempts)}`;
}

/** Where a pipeline step sits in its job: a step (`step 2`) or a rollback step (`rollback 1`), numbered from 1. */
export interface StepPlace {
  jobId: string;
  kind: 'step' | 'rollback';
  index: number;
  /** The step's name, else its id, else what the run shows for it. */
  label: string;
  nodeClass: string;
}

/** A pipeline step attempt: `deploy / step 2: migrate on general`. */
export function stepSummary(place: StepPlace, attempt = 1, maxAttempts = 1): string {
  const { jobId, kind, index, label, nodeClass } = place;
  return `${jobId} / ${kind} ${index + 1}: ${label} on ${nodeClass}${attemptSuffix(attempt, maxAttempts)}`;
}

/** A Pulumi stack operation, or one phase of it: `up shop/db (preview)`, `refresh shop/db`. */
export function stackSummary(operation: string, project: string, stack: string, phase?: string): string {
  return `${operation} ${project}/${stack}${phase === undefined ? '' : ` (${phase})`}`;
}
