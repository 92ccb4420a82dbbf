/** Runs a stack operation once the stack is free: waits in line, or skips when busy (scheduled drift checks). */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, sleep, startChild } from '@temporalio/workflow';
import type { StackOperationInput, StackOperationState } from './contracts/stack-operation';
import { stackWorkflowId } from './contracts/stack-ids';
import { kindSearchAttribute, type RunMemo } from './definitions';
import { stackOperationWorkflow } from './stack-operation-workflow';
import { stackSummary } from './summaries';

/** Input of the queue workflow. */
export interface StackQueueInput {
  operation: StackOperationInput;
  /** `wait` retries until the stack is free; `skip` gives up at once. */
  ifBusy: 'wait' | 'skip';
  /** How often a waiting request tries again. */
  retrySeconds?: number;
}

/** What the queued request ended with. */
export type StackQueueResult = { ran: true; state: StackOperationState } | { ran: false; reason: string };

/** Starts the operation under the stack's workflow id as soon as no other operation holds it. */
export async function stackQueueWorkflow(input: StackQueueInput): Promise<StackQueueResult> {
  const { project, stack } = input.operation;
  for (;;) {
    try {
      const child = await startChild(stackOperationWorkflow, {
        workflowId: stackWorkflowId(project, stack),
        args: [input.operation],
        staticSummary: stackSummary(input.operation.operation, project, stack),
        // The same memo and kind as an operation the API starts, so run views and lists show it as a stack run.
        memo: {
          kind: 'stack',
          name: `${project}/${stack}`,
          startedBy: input.operation.requestedBy,
          labels: { operation: input.operation.operation },
        } satisfies RunMemo,
        typedSearchAttributes: [{ key: kindSearchAttribute, value: 'stack' }],
        // The operation is the stack's; it finishes even if whoever queued it goes away.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      return { ran: true, state: await child.result() };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      if (input.ifBusy === 'skip') return { ran: false, reason: `another operation on ${project}/${stack} is running` };
      // A durable timer: waiting in line holds no worker.
      await sleep(`${input.retrySeconds ?? 5}s`, { summary: `waiting for ${project}/${stack} to be free` });
    }
  }
}
