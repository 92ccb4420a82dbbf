/** Starting stack operations (one per stack, or queued), the TTL timer and the drift schedule of a stack. */
import { ScheduleNotFoundError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { StackRecord } from '../../db/stores/stack-records';
import { nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import { stackWorkflowId, type StackOperationInput } from '../../workflows/contracts/stack-operation';
import { kindSearchAttribute, type RunMemo } from '../../workflows/definitions';
import type { StackQueueInput } from '../../workflows/stack-queue-workflow';
import type { StackTtlInput } from '../../workflows/stack-ttl-workflow';
import { ApiError } from '../errors';
import type { ApiDeps } from './deps';
import { listingAttributes } from './start-run';

/** What starting an operation answered. */
export interface StartedStackOperation {
  runId: string;
  queued: boolean;
}

/** The operation's workflow input for a declared stack. */
export function operationInput(
  deps: ApiDeps,
  stack: Pick<StackRecord, 'project' | 'stack'>,
  operation: StackOperationInput['operation'],
  requestedBy: string,
  approval?: StackOperationInput['approval'],
): StackOperationInput {
  return {
    project: stack.project,
    stack: stack.stack,
    operation,
    requestedBy,
    taskQueue: nodeClassTaskQueue(deps.taskQueuePrefix, deps.pulumiNodeClass),
    ...(approval ? { approval } : {}),
  };
}

/**
 * Starts `input` under the stack's workflow id; while another operation holds it, answers 409 naming
 * that one, or with `queue` starts a queue workflow that runs it when the stack is free.
 */
export async function startStackOperation(
  deps: ApiDeps,
  input: StackOperationInput,
  queue: boolean,
): Promise<StartedStackOperation> {
  const workflowId = stackWorkflowId(input.project, input.stack);
  const memo: RunMemo = {
    kind: 'stack',
    name: `${input.project}/${input.stack}`,
    startedBy: input.requestedBy,
    labels: { operation: input.operation },
  };
  const common = {
    taskQueue: orchestratorTaskQueue(deps.taskQueuePrefix),
    memo: { ...memo },
    typedSearchAttributes: [{ key: kindSearchAttribute, value: 'stack' }, ...listingAttributes(memo)],
    staticSummary: `${input.operation} ${input.project}/${input.stack} for ${input.requestedBy}`,
  };
  if (queue) {
    const queueId = `stack-queued:${input.project}/${input.stack}:${randomUUID()}`;
    const args: [StackQueueInput] = [{ operation: input, ifBusy: 'wait' }];
    await deps.client.workflow.start('stackQueueWorkflow', { ...common, workflowId: queueId, args });
    return { runId: queueId, queued: true };
  }
  try {
    await deps.client.workflow.start('stackOperationWorkflow', { ...common, workflowId, args: [input] });
    return { runId: workflowId, queued: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await deps.client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    const memoOf = running?.memo as RunMemo | undefined;
    const what = memoOf
      ? `${memoOf.labels?.operation ?? 'an operation'} requested by ${memoOf.startedBy ?? 'someone'}`
      : 'another operation';
    throw new ApiError(
      409,
      'stack_busy',
      `stack ${input.project}/${input.stack} is busy: ${what} is running as ${workflowId} (run ${running?.runId ?? 'unknown'}); retry later or ask to queue`,
      {
        runId: workflowId,
        temporalRunId: running?.runId,
        operation: memoOf?.labels?.operation,
        requestedBy: memoOf?.startedBy,
      },
    );
  }
}

/** Starts, restarts (new expiry) or stops the timer that destroys the stack when its TTL runs out. */
export async function syncTtlTimer(deps: ApiDeps, stack: StackRecord, by: string): Promise<void> {
  const workflowId = `stack-ttl:${stack.project}/${stack.stack}`;
  if (stack.expiresAt === null) {
    await deps.client.workflow
      .getHandle(workflowId)
      .terminate('the stack no longer has a TTL')
      .catch(() => undefined);
    return;
  }
  const args: [StackTtlInput] = [
    { expiresAt: stack.expiresAt, destroy: operationInput(deps, stack, 'destroy', `ttl (set by ${by})`) },
  ];
  await deps.client.workflow.start('stackTtlWorkflow', {
    workflowId,
    taskQueue: orchestratorTaskQueue(deps.taskQueuePrefix),
    args,
    // A new expiry replaces the old timer.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    staticSummary: `destroy ${stack.project}/${stack.stack} at ${stack.expiresAt}`,
  });
}

/** Creates, updates or deletes the stack's drift-check schedule (`stack-drift:<project>/<stack>`). */
export async function syncDriftSchedule(deps: ApiDeps, stack: StackRecord, by: string): Promise<void> {
  const scheduleId = `stack-drift:${stack.project}/${stack.stack}`;
  const handle = deps.client.schedule.getHandle(scheduleId);
  if (stack.driftSchedule === null) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return;
  }
  const args: [StackQueueInput] = [
    { operation: operationInput(deps, stack, 'drift', `drift schedule (set by ${by})`), ifBusy: 'skip' },
  ];
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'stackQueueWorkflow',
    workflowId: scheduleId,
    taskQueue: orchestratorTaskQueue(deps.taskQueuePrefix),
    args,
  };
  const spec = { cronExpressions: [stack.driftSchedule] };
  try {
    await handle.update((previous) => ({ ...previous, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await deps.client.schedule.create({ scheduleId, spec, action, memo: { stack: `${stack.project}/${stack.stack}` } });
  }
}
