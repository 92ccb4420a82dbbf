/** One operation on one Pulumi stack (workflow id `stack:<project>/<stack>`): preview, approval, apply of that plan, refresh, destroy or a drift check. */
import { ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { StackActivities } from '../activities/pulumi/stack-activities';
import { FailureTypes } from './contracts/failure-types';
import type { StackOperationInput, StackOperationState } from './contracts/stack-operation';
import { stackApprovalUpdate, stackStateQuery, type StackDecision } from './stack/definitions';

/** Runs the operation to its end; a failed, rejected or refused operation fails the workflow with the reason. */
export async function stackOperationWorkflow(input: StackOperationInput): Promise<StackOperationState> {
  const address = { project: input.project, stack: input.stack };
  const state: StackOperationState = { ...address, operation: input.operation, requestedBy: input.requestedBy, phase: 'previewing' };
  setHandler(stackStateQuery, () => state);
  setHandler(stackApprovalUpdate, (decision) => {
    state.approval = { state: decision.approve ? 'approved' : 'rejected', by: decision.by, at: new Date().toISOString(), comment: decision.comment };
    return state;
  }, { validator: (decision) => validateDecision(input, state, decision) });

  // Pulumi operations heartbeat engine progress; a worker killed mid-operation is noticed within the
  // heartbeat timeout and the attempt retried, first clearing the lock the dead attempt left.
  const pulumi = proxyActivities<StackActivities>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '2h',
    heartbeatTimeout: '30s',
    // A cancelled operation ends only once Pulumi has stopped, so the next one never meets its lock.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '2s', maximumAttempts: 5, nonRetryableErrorTypes: [FailureTypes.stackInputError, FailureTypes.planViolation] },
  });
  const records = proxyActivities<StackActivities>({ taskQueue: input.taskQueue, startToCloseTimeout: '1m', retry: { maximumAttempts: 20 } });
  const runId = workflowInfo().runId;
  await records.recordStackOperation({ ...address, operation: input.operation, runId, outcome: 'running' });
  try {
    switch (input.operation) {
      case 'preview':
        state.preview = (await pulumi.previewStack(address)).preview;
        break;
      case 'up': {
        const { preview, plan } = await pulumi.previewStack(address);
        state.preview = preview;
        if (input.approval && hasChanges(preview.changeSummary)) await awaitApproval(input, state);
        state.phase = 'applying';
        state.result = await pulumi.applyStack({ ...address, plan });
        break;
      }
      case 'refresh':
        state.phase = 'refreshing';
        state.result = await pulumi.refreshStack(address);
        break;
      case 'destroy':
        state.phase = 'destroying';
        state.result = await pulumi.destroyStack(address);
        break;
      case 'drift':
        state.phase = 'checking-drift';
        state.drift = await pulumi.checkDrift(address);
        break;
    }
    state.phase = 'succeeded';
  } catch (err) {
    if (state.phase !== 'rejected') state.phase = isCancellation(err) ? 'cancelled' : 'failed';
    // The activity's own error (a plan violation, Pulumi's message) says more than "Activity task failed".
    const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
    state.message ??= cause?.message ?? (err as Error).message;
    // Recorded even when the run is being cancelled, so the stack never looks busy afterwards.
    await CancellationScope.nonCancellable(() => records.recordStackOperation({ ...address, operation: input.operation, runId, outcome: state.phase }));
    if (cause) throw ApplicationFailure.create({ message: cause.message, type: cause.type ?? undefined, nonRetryable: true });
    throw err;
  }
  await records.recordStackOperation({ ...address, operation: input.operation, runId, outcome: 'succeeded', drift: state.drift });
  return state;
}

/** Waits for a decision without holding any worker; rejection or timeout fails the operation before anything is applied. */
async function awaitApproval(input: StackOperationInput, state: StackOperationState): Promise<void> {
  const policy = input.approval!;
  state.phase = 'waiting-approval';
  state.approval = { state: 'waiting' };
  const decided = await condition(() => state.approval?.state !== 'waiting', `${policy.timeoutSeconds}s`);
  if (!decided) state.approval = { state: 'timed-out', at: new Date().toISOString() };
  if (state.approval.state === 'approved') return;
  state.phase = 'rejected';
  state.message = state.approval.state === 'rejected' ? `rejected by ${state.approval.by}` : `no approval within ${policy.timeoutSeconds}s`;
  throw ApplicationFailure.nonRetryable(state.message, FailureTypes.stackApprovalRefused);
}

function validateDecision(input: StackOperationInput, state: StackOperationState, decision: StackDecision): void {
  if (state.phase !== 'waiting-approval') throw new Error(`the ${input.operation} of ${input.project}/${input.stack} is ${state.phase}, not waiting for approval`);
  const policy = input.approval!;
  if (policy.approvers.length > 0 && !policy.approvers.includes(decision.by)) {
    throw new Error(`${decision.by} may not approve it; approvers: ${policy.approvers.join(', ')}`);
  }
  if (!policy.allowRequester && decision.by === input.requestedBy) {
    throw new Error(`${decision.by} asked for this operation and may not approve it`);
  }
}

function hasChanges(summary: Record<string, number>): boolean {
  return Object.entries(summary).some(([op, count]) => op !== 'same' && count > 0);
}
