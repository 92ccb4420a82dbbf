/** Taking a concurrency group's lock from a pipeline run: queue behind the holder, or preempt it. */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  sleep,
  startChild,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import {
  concurrencyLockId,
  concurrencyLockWorkflow,
  preemptLockSignal,
  releaseLockSignal,
} from '../concurrency-lock-workflow';
import { concurrencyGroupName, GROUP_TEMPLATE } from './concurrency-group';

/**
 * Since this patch a `$` in a branch name stays literal in a concurrency group's name; before it,
 * `$&`, `$1` and the like in a branch were replacement patterns. The patch is asked only when the
 * branch has a `$`, the only case where the names differ, so other runs' histories stay as they were.
 */
const LITERAL_BRANCH_IN_GROUP = 'pipeline-literal-branch-in-group';

/** The name of `group` for a run on `branch`, as the run's history fixed it. */
export function groupNameOfRun(group: string, branch: string): string {
  if (!branch.includes('$') || patched(LITERAL_BRANCH_IN_GROUP)) return concurrencyGroupName(group, branch);
  return group.replace(GROUP_TEMPLATE, branch);
}

/** A held lock; `release` lets the next member of the group in. */
export interface HeldLock {
  /** Ends the lock once; `evenIfCancelled` sends the release from a cancelled run too, rather than leaving it to the run's close. */
  release(evenIfCancelled?: boolean): Promise<void>;
}

/**
 * Waits until `runId` holds `group`'s lock; with `cancelInProgress` the current holder is cancelled
 * instead of waited for. With `heldThroughCancel` the run's cancellation does not cancel the lock:
 * the run releases it once its steps are dead, or its close ends it.
 */
export async function acquireLock(
  prefix: string,
  group: string,
  runId: string,
  cancelInProgress: boolean,
  onWait: (message: string) => void,
  heldThroughCancel: boolean,
): Promise<HeldLock> {
  const workflowId = concurrencyLockId(prefix, group);
  for (let tries = 0; ; tries++) {
    let handle: ChildWorkflowHandle<typeof concurrencyLockWorkflow>;
    try {
      handle = await startChild(concurrencyLockWorkflow, {
        workflowId,
        args: [{ holder: runId, group }],
        staticSummary: `concurrency group ${group}, held by ${runId}`,
        // The lock dies with its holder, however the holder ends.
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        ...(heldThroughCancel ? { cancellationType: ChildWorkflowCancellationType.ABANDON } : {}),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      if (cancelInProgress) {
        onWait(`cancelling the run in progress in concurrency group "${group}"`);
        // The lock may have ended in between; then there is nothing to preempt and the next try takes it.
        await getExternalWorkflowHandle(workflowId)
          .signal(preemptLockSignal, { by: runId })
          .catch(() => undefined);
      } else {
        onWait(`queued behind another run in concurrency group "${group}"`);
      }
      await sleep(tries < 10 ? '1s' : '3s', { summary: `waiting for concurrency group ${group}` });
      continue;
    }
    return heldLock(handle);
  }
}

function heldLock(handle: ChildWorkflowHandle<typeof concurrencyLockWorkflow>): HeldLock {
  let released = false;
  return {
    release: async (evenIfCancelled = false) => {
      if (released) return;
      released = true;
      const signal = () => handle.signal(releaseLockSignal);
      await (evenIfCancelled ? CancellationScope.nonCancellable(signal) : signal()).catch(() => undefined);
    },
  };
}
