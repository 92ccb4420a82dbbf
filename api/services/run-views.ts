/** The shapes the API returns for runs, built from Temporal's descriptions. */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { RunKind, RunMemo } from '../../workflows/definitions';

/** Run status in the API's words. */
export type RunStatus =
  'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'continued_as_new' | 'unknown';

/** API status → Temporal's `ExecutionStatus` search-attribute value. */
export const STATUS_TO_TEMPORAL: Record<Exclude<RunStatus, 'unknown'>, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  timed_out: 'TimedOut',
  continued_as_new: 'ContinuedAsNew',
};

/** One line of a run list. */
export interface RunSummary {
  runId: string;
  kind: RunKind | 'unknown';
  name?: string;
  nodeClass?: string;
  labels?: Record<string, string>;
  /** The principal whose token started the run (absent on runs from before tokens). */
  startedBy?: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
}

const FROM_TEMPORAL_NAME: Partial<Record<WorkflowExecutionInfo['status']['name'], RunStatus>> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'continued_as_new',
};

/** Maps Temporal's status name to the API's. */
function runStatus(name: WorkflowExecutionInfo['status']['name']): RunStatus {
  return FROM_TEMPORAL_NAME[name] ?? 'unknown';
}

/** Summary of a run from its execution info (list entry or description). */
export function runSummary(
  info: Pick<WorkflowExecutionInfo, 'workflowId' | 'status' | 'startTime' | 'closeTime' | 'memo'>,
): RunSummary {
  const memo = (info.memo ?? {}) as Partial<RunMemo>;
  return {
    runId: info.workflowId,
    kind: memo.kind ?? 'unknown',
    ...(memo.name ? { name: memo.name } : {}),
    ...(memo.nodeClass ? { nodeClass: memo.nodeClass } : {}),
    ...(memo.labels && Object.keys(memo.labels).length > 0 ? { labels: memo.labels } : {}),
    ...(memo.startedBy ? { startedBy: memo.startedBy } : {}),
    status: runStatus(info.status.name),
    startedAt: info.startTime.toISOString(),
    ...(info.closeTime
      ? {
          finishedAt: info.closeTime.toISOString(),
          durationMs: info.closeTime.getTime() - info.startTime.getTime(),
        }
      : {}),
  };
}
