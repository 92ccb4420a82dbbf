/** A stack's operations, newest first, and which stacks run one now: read from Temporal's visibility. */
import { WorkflowFailedError } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import { stackWorkflowId, type StackOperationState } from '../../workflows/contracts/stack-operation';
import type { RunMemo } from '../../workflows/definitions';
import type { ApiDeps } from './deps';
import { runSummary, type RunStatus } from './run-views';

/** One past or running operation of a stack. */
export interface StackOperationEntry {
  /** Temporal's run id of this execution of `stack:<project>/<stack>`. */
  temporalRunId: string;
  operation?: string;
  requestedBy?: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** How it ended: the phase, counts of changes, drift, the approval, or why it failed. */
  outcome?: {
    phase?: string;
    changes?: Record<string, number>;
    drifted?: boolean;
    approval?: StackOperationState['approval'];
    message?: string;
  };
}

/** Visibility's escaping of a string literal. */
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The last `limit` operations of a stack, newest first, each with how it ended. */
export async function stackOperations(
  deps: ApiDeps,
  at: { project: string; stack: string },
  limit: number,
): Promise<StackOperationEntry[]> {
  const workflowId = stackWorkflowId(at.project, at.stack);
  const query = `WorkflowId = ${quote(workflowId)} AND TaskQueue = ${quote(orchestratorTaskQueue(deps.taskQueuePrefix))}`;
  const response = await deps.client.workflowService.listWorkflowExecutions({
    namespace: deps.namespace,
    query,
    pageSize: limit,
  });
  const executions = (response.executions ?? []).slice(0, limit);
  return Promise.all(
    executions.map(async (raw) => {
      const info = await executionInfoFromRaw(raw, deps.client.options.loadedDataConverter, raw, deps.namespace);
      const summary = runSummary(info);
      const memo = (info.memo ?? {}) as Partial<RunMemo>;
      const entry: StackOperationEntry = {
        temporalRunId: info.runId,
        ...(memo.labels?.operation ? { operation: memo.labels.operation } : {}),
        ...(memo.startedBy ? { requestedBy: memo.startedBy } : {}),
        status: summary.status,
        startedAt: summary.startedAt,
        ...(summary.finishedAt ? { finishedAt: summary.finishedAt, durationMs: summary.durationMs } : {}),
      };
      if (summary.status === 'running') return entry;
      return { ...entry, outcome: await outcomeOf(deps, workflowId, info.runId) };
    }),
  );
}

/** How a finished execution ended; reading a result fetches only its close event. */
async function outcomeOf(
  deps: ApiDeps,
  workflowId: string,
  runId: string,
): Promise<StackOperationEntry['outcome'] | undefined> {
  try {
    const state = (await deps.client.workflow.getHandle(workflowId, runId).result()) as StackOperationState;
    return {
      phase: state.phase,
      ...(state.result ? { changes: state.result.resourceChanges } : {}),
      ...(!state.result && state.preview ? { changes: state.preview.changeSummary } : {}),
      ...(state.drift ? { drifted: state.drift.drifted } : {}),
      ...(state.approval ? { approval: state.approval } : {}),
    };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      return { message: err.cause?.message ?? err.message };
    }
    return undefined;
  }
}

/** The operation running on each stack now (`project/stack` → operation and who asked), in one visibility query. */
export async function runningOperations(
  deps: ApiDeps,
): Promise<Map<string, { operation?: string; requestedBy?: string; startedAt: string }>> {
  const query = `WorkflowId STARTS_WITH 'stack:' AND ExecutionStatus = 'Running' AND TaskQueue = ${quote(orchestratorTaskQueue(deps.taskQueuePrefix))}`;
  const response = await deps.client.workflowService.listWorkflowExecutions({
    namespace: deps.namespace,
    query,
    pageSize: 1000,
  });
  const running = new Map<string, { operation?: string; requestedBy?: string; startedAt: string }>();
  for (const raw of response.executions ?? []) {
    const info = await executionInfoFromRaw(raw, deps.client.options.loadedDataConverter, raw, deps.namespace);
    const memo = (info.memo ?? {}) as Partial<RunMemo>;
    running.set(info.workflowId.slice('stack:'.length), {
      ...(memo.labels?.operation ? { operation: memo.labels.operation } : {}),
      ...(memo.startedBy ? { requestedBy: memo.startedBy } : {}),
      startedAt: info.startTime.toISOString(),
    });
  }
  return running;
}
