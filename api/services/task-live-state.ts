/**
 * A running task run's live state from its metered attempts, so that reading it asks the workflow
 * nothing: a query waits for the orchestrator to reach the run between its workflow tasks, which
 * under load takes seconds.
 */
import type { RunAttempt } from '../../db/stores/run-attempts';
import type { TaskState } from '../../workflows/contracts/task-run';

/** The metering task id of a task run's attempts (a DAG node's attempts carry the node key). */
const TASK_RUN_TASK_ID = 'task';

/**
 * What `taskStateQuery` answers, when the attempts alone determine it; undefined when they do not.
 *
 * The workflow's state only changes when an attempt ends, so while no attempt has ended (none
 * started yet, or the first one running) it is the initial state. Once the first attempt succeeded
 * the state is `succeeded` after one attempt, which the workflow reaches as it completes (the
 * run's status still comes from Temporal, so it never reads completed early). After any other
 * outcome (a failed command, a lost worker, a cancel) the workflow alone knows the retry schedule
 * and the failure's text, so the caller asks it.
 */
export function taskStateFromAttempts(attempts: readonly RunAttempt[]): TaskState | undefined {
  if (attempts.length === 0) return { phase: 'dispatched', commandAttempt: 1, attemptsFinished: 0 };
  const [only] = attempts;
  if (attempts.length > 1 || only === undefined || only.taskId !== TASK_RUN_TASK_ID || only.attempt !== 1)
    return undefined;
  if (only.outcome === 'running') return { phase: 'dispatched', commandAttempt: 1, attemptsFinished: 0 };
  if (only.outcome === 'succeeded') return { phase: 'succeeded', commandAttempt: 1, attemptsFinished: 1 };
  return undefined;
}
