/** The task workflow: one shell command on a worker of its node class, retried by the user's policy. */
import { setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { TaskResult, TaskState, TaskWorkflowInput } from './contracts/task-run';
import { taskStateQuery } from './definitions';
import { executeTask } from './task-execution';

export { backoffMs } from './task-execution';

/** Runs a shell task and returns its result, or fails naming the exit code after the last attempt. */
export async function taskWorkflow(input: TaskWorkflowInput): Promise<TaskResult> {
  const { spec, policy } = input;
  const state: TaskState = { phase: 'dispatched', commandAttempt: 1, attemptsFinished: 0 };
  setHandler(taskStateQuery, () => state);
  return executeTask(spec, policy, state, {
    // Runs recorded before priorities existed carry none; leaving the option out keeps their replay identical.
    ...(spec.priority === undefined ? {} : { priority: spec.priority }),
    onProgress: (s) => setCurrentDetails(describeAttempt(s, spec.retry.maxAttempts, spec.nodeClass)),
  });
}

function describeAttempt(state: TaskState, maxAttempts: number, nodeClass: string): string {
  const base = `**${state.phase}** on node class \`${nodeClass}\`, command attempt ${state.commandAttempt} of ${maxAttempts}`;
  return state.lastFailure ? `${base}\n\nlast failure: ${state.lastFailure}` : base;
}
