/** Destroys a stack when its time-to-live runs out (workflow id `stack-ttl:<project>/<stack>`, restarted when the TTL changes). */
import { executeChild, sleep } from '@temporalio/workflow';
import type { StackOperationInput } from './contracts/stack-operation';
import { stackQueueWorkflow, type StackQueueResult } from './stack-queue-workflow';
import { stackSummary } from './summaries';

/** Input of the TTL workflow. */
export interface StackTtlInput {
  expiresAt: string;
  destroy: StackOperationInput;
}

/** Sleeps until expiry, then queues the stack's destroy behind any running operation. */
export async function stackTtlWorkflow(input: StackTtlInput): Promise<StackQueueResult> {
  const wait = Date.parse(input.expiresAt) - Date.now();
  const { project, stack } = input.destroy;
  if (wait > 0) await sleep(wait, { summary: `time to live of ${project}/${stack}, until ${input.expiresAt}` });
  return executeChild(stackQueueWorkflow, {
    workflowId: `stack-ttl-destroy:${input.destroy.project}/${input.destroy.stack}:${input.expiresAt}`,
    args: [{ operation: input.destroy, ifBusy: 'wait' }],
    staticSummary: `${stackSummary('destroy', project, stack)}: its time to live ran out`,
  });
}
