/**
 * A run step's timeout, apart from the pipeline schema so that workflow code can use it without
 * loading zod: the SDK evaluates a workflow's modules afresh for every execution, and zod alone cost
 * the orchestrator about 15 ms of CPU per run (see docs/performance.md).
 */

/** The timeout of a run step in seconds: `timeoutSeconds`, else `timeout-minutes`, else an hour. */
export function stepTimeoutSeconds(step: { timeoutSeconds?: number; 'timeout-minutes'?: number }): number {
  if (step.timeoutSeconds !== undefined) return step.timeoutSeconds;
  if (step['timeout-minutes'] !== undefined) return Math.max(1, Math.round(step['timeout-minutes'] * 60));
  return 3600;
}
