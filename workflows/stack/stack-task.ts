/** A DAG task that runs an operation on a Pulumi stack: the stack's outputs become the task's outputs. */
import { ApplicationFailure, executeChild, workflowInfo } from '@temporalio/workflow';
import { FailureTypes } from '../contracts/failure-types';
import type { StackTaskSchema } from '../contracts/stack-operation';
import type { z } from 'zod';
import type { TaskResult } from '../contracts/task-run';
import { stackQueueWorkflow } from '../stack-queue-workflow';

/** What a stack task or step asks for. */
export type StackTaskSpec = z.output<typeof StackTaskSchema>;

/**
 * Runs the operation as the stack's own workflow (waiting in line if the stack is busy; `summary`
 * names the DAG node or pipeline step it runs for in the Web UI) and returns
 * a task result whose outputs are the stack outputs as strings; secret outputs stay references
 * that the worker running a downstream command resolves from the stack's encrypted state.
 */
export async function executeStackTask(
  spec: StackTaskSpec,
  key: string,
  taskQueue: string,
  requestedBy: string,
  summary?: string,
): Promise<TaskResult> {
  const startedAt = new Date().toISOString();
  const runId = workflowInfo().workflowId;
  const outcome = await executeChild(stackQueueWorkflow, {
    workflowId: `${runId}:${key}:${spec.operation}`,
    args: [{ operation: { ...spec, requestedBy, taskQueue }, ifBusy: 'wait' }],
    ...(summary === undefined ? {} : { staticSummary: summary }),
  });
  if (!outcome.ran) throw ApplicationFailure.nonRetryable(outcome.reason, FailureTypes.stackTaskNotRun);
  const outputs = Object.fromEntries(
    Object.entries(outcome.state.result?.outputs ?? {}).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
  const finishedAt = new Date().toISOString();
  return {
    exitCode: 0,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    outputs,
    durationMs: Date.parse(finishedAt) - Date.parse(startedAt),
    worker: `stack:${spec.project}/${spec.stack}`,
    attempts: 1,
    startedAt,
    finishedAt,
  };
}
