/** One operation on one Pulumi stack (workflow id `stack:<project>/<stack>`): preview, approval, apply of that plan, refresh, destroy or a drift check. */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { StackActivities } from '../activities/pulumi/stack-activities';
import { FailureTypes } from './contracts/failure-types';
import type { StackOperationInput, StackOperationState, StackPhase } from './contracts/stack-operation';
import { awaitApproval, checkDecision, decisionRecord } from './approval/gate';
import type { ApprovalDecision } from './contracts/approval';
import { stackApprovalUpdate, stackStateQuery } from './stack/definitions';
import { stackSummary } from './summaries';

/** Runs the operation to its end; a failed, rejected or refused operation fails the workflow with the reason. */
export async function stackOperationWorkflow(input: StackOperationInput): Promise<StackOperationState> {
  const address = { project: input.project, stack: input.stack };
  const state: StackOperationState = {
    ...address,
    operation: input.operation,
    requestedBy: input.requestedBy,
    phase: 'previewing',
  };
  setHandler(stackStateQuery, () => state);
  setHandler(
    stackApprovalUpdate,
    (decision) => {
      state.approval = decisionRecord(decision);
      return state;
    },
    { validator: (decision) => validateDecision(input, state, decision) },
  );

  // Pulumi operations heartbeat engine progress; a worker killed mid-operation is noticed within the
  // heartbeat timeout and the attempt retried, first clearing the lock the dead attempt left.
  const pulumi = proxyActivities<StackActivities>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '2h',
    heartbeatTimeout: '30s',
    // A cancelled operation ends only once Pulumi has stopped, so the next one never meets its lock.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '2s',
      maximumAttempts: 5,
      nonRetryableErrorTypes: [FailureTypes.stackInputError, FailureTypes.planViolation],
    },
  });
  const records = proxyActivities<StackActivities>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '1m',
    retry: { maximumAttempts: 20 },
  });
  const runId = workflowInfo().runId;
  const { operation, project, stack } = input;
  // Each call names the operation and stack, so the Web UI's history reads `up shop/db (apply)`, not `applyStack`.
  const summary = (phase?: string) => ({ summary: stackSummary(operation, project, stack, phase) });
  const record = (outcome: StackPhase | 'running') =>
    records.recordStackOperation.executeWithOptions(summary(`record ${outcome}`), [
      { ...address, operation, runId, outcome, ...(outcome === 'succeeded' ? { drift: state.drift } : {}) },
    ]);
  showPhase(input, state);
  await record('running');
  try {
    switch (input.operation) {
      case 'preview':
        state.preview = (await pulumi.previewStack.executeWithOptions(summary(), [address])).preview;
        break;
      case 'up': {
        const { preview, plan } = await pulumi.previewStack.executeWithOptions(summary('preview'), [address]);
        state.preview = preview;
        if (input.approval && hasChanges(preview.changeSummary)) await approveBeforeApply(input, state);
        state.phase = 'applying';
        showPhase(input, state);
        state.result = await pulumi.applyStack.executeWithOptions(summary('apply'), [{ ...address, plan }]);
        break;
      }
      case 'refresh':
        state.phase = 'refreshing';
        showPhase(input, state);
        state.result = await pulumi.refreshStack.executeWithOptions(summary(), [address]);
        break;
      case 'destroy':
        state.phase = 'destroying';
        showPhase(input, state);
        state.result = await pulumi.destroyStack.executeWithOptions(summary(), [address]);
        break;
      case 'drift':
        state.phase = 'checking-drift';
        showPhase(input, state);
        state.drift = await pulumi.checkDrift.executeWithOptions(summary(), [address]);
        break;
    }
    state.phase = 'succeeded';
    showPhase(input, state);
  } catch (err) {
    if (state.phase !== 'rejected') state.phase = isCancellation(err) ? 'cancelled' : 'failed';
    // The activity's own error (a plan violation, Pulumi's message) says more than "Activity task failed".
    const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
    state.message ??= cause?.message ?? (err as Error).message;
    showPhase(input, state);
    // Recorded even when the run is being cancelled, so the stack never looks busy afterwards.
    await CancellationScope.nonCancellable(() => record(state.phase));
    if (cause)
      throw ApplicationFailure.create({ message: cause.message, type: cause.type ?? undefined, nonRetryable: true });
    throw err;
  }
  await record('succeeded');
  return state;
}

/** Shows the operation's phase (and why it failed) as the workflow's current details in the Web UI. */
function showPhase(input: StackOperationInput, state: StackOperationState): void {
  const head = `**${stackSummary(input.operation, input.project, input.stack)}**: ${state.phase}`;
  setCurrentDetails(state.message ? `${head}\n\n${state.message}` : head);
}

/** Waits for a decision without holding any worker; rejection or timeout fails the operation before anything is applied. */
async function approveBeforeApply(input: StackOperationInput, state: StackOperationState): Promise<void> {
  state.phase = 'waiting-approval';
  showPhase(input, state);
  const refusal = await awaitApproval(state, input.approval!.timeoutSeconds);
  if (refusal === undefined) return;
  state.phase = 'rejected';
  state.message = refusal;
  throw ApplicationFailure.nonRetryable(state.message, FailureTypes.stackApprovalRefused);
}

function validateDecision(input: StackOperationInput, state: StackOperationState, decision: ApprovalDecision): void {
  if (state.phase !== 'waiting-approval')
    throw new Error(
      `the ${input.operation} of ${input.project}/${input.stack} is ${state.phase}, not waiting for approval`,
    );
  const { approvers, allowRequester } = input.approval!;
  checkDecision({ approvers, requester: input.requestedBy, requesterMayDecide: allowRequester }, state, decision, {
    name: `the ${input.operation} of ${input.project}/${input.stack}`,
    requesterDid: 'asked for this operation',
    requesterName: 'it',
  });
}

function hasChanges(summary: Record<string, number>): boolean {
  return Object.entries(summary).some(([op, count]) => op !== 'same' && count > 0);
}
