/**
 * The DAG workflow: runs a graph of tasks as activities on their node classes, with the scheduler
 * deciding what is ready. Past `continueAsNewAfterEvents` it drains running tasks and continues as
 * new with the node states, so a run of any size stays inside Temporal's history limits.
 */
import {
  CancellationScope,
  CancelledFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { DagResult, DagStateView, DagWorkflowInput, NodeState } from './contracts/dag-run';
import type { LogTail } from './contracts/log-tail';
import { FailureTypes } from './contracts/failure-types';
import { nodeClassTaskQueue } from './contracts/node-class';
import type { TaskState } from './contracts/task-run';
import { packStates, unpackStates } from './dag/carry';
import { dagSpecOf } from './dag/defaults';
import { taskRoom } from './dag/history-budget';
import { buildPlan } from './dag/plan';
import { renderTask } from './dag/render';
import { DagScheduler } from './dag/scheduler';
import { dagStateQuery } from './definitions';
import { executeTask } from './task-execution';
import { executeStackTask } from './stack/stack-task';
import { stackSummary } from './summaries';

/** Largest page `dagStateQuery` answers. */
const MAX_QUERY_PAGE = 1000;

/**
 * Patch: the scheduler judges ready nodes only when a slot is free for them (see SchedulerOptions),
 * which changes when skipped nodes release their dependents and so the order of later commands.
 */
const LAZY_SKIPS = 'dag-lazy-skips';

/**
 * Patch: an execution drains when the tasks it runs could take its history past its event or byte
 * budget (see taskRoom), and starts no more tasks than fit, instead of at the server's suggestion
 * (4,096 events on the dev server), so a 10,000-task run drains about half as often.
 */
const SIZED_DRAIN = 'dag-sized-drain';

/** Runs a DAG to its end; fails with `DagFailed` naming the failed tasks. */
export async function dagWorkflow(input: DagWorkflowInput): Promise<DagResult> {
  const { policy } = input;
  // The API validated it; the defaults are those the run was started with, not today's schema's.
  const spec = dagSpecOf(input);
  const plan = buildPlan(spec);
  const states: NodeState[] = input.carried
    ? unpackStates(input.carried.states)
    : plan.nodes.map(() => ({ status: 'pending' }));
  const executions = (input.carried?.executions ?? 0) + 1;
  const scheduler = new DagScheduler(spec, plan, states, { lazySkips: patched(LAZY_SKIPS) });
  const sizedDrain = patched(SIZED_DRAIN);
  const scopes = new Map<number, CancellationScope>();
  const runStart = workflowInfo().runStartTime.getTime();
  let changed = true;

  setHandler(dagStateQuery, (query = {}): DagStateView => {
    const offset = Math.max(0, query.offset ?? 0);
    const limit = Math.min(MAX_QUERY_PAGE, Math.max(1, query.limit ?? MAX_QUERY_PAGE));
    return {
      counts: scheduler.counts(),
      failing: scheduler.failing,
      executions,
      total: plan.nodes.length,
      nodes: states.slice(offset, offset + limit).map((state, i) => {
        const node = plan.nodes[offset + i]!;
        return { key: node.key, task: spec.tasks[node.task]!.id, ...state };
      }),
    };
  });

  // The Web UI's details name what runs now; a run's parallelism bounds the list, the text shows ten.
  const runningKeys = (): string[] => {
    const keys: string[] = [];
    for (const node of scopes.keys()) if (keys.push(plan.nodes[node]!.key) > 10) break;
    return keys;
  };

  const launch = (node: number): void => {
    const planNode = plan.nodes[node]!;
    const task = spec.tasks[planNode.task]!;
    const taskSpec = renderTask(task, planNode.key, scheduler.contextFor(node), spec.priority, spec.labels);
    const taskState: TaskState = { phase: 'dispatched', commandAttempt: 1, attemptsFinished: 0 };
    const startedAt = new Date().toISOString();
    const scope = new CancellationScope();
    scopes.set(node, scope);
    scheduler.setState(node, { status: 'running', startedAt });
    const taskQueue = nodeClassTaskQueue(
      policy.taskQueuePrefix,
      task.stack ? (policy.pulumiNodeClass ?? task.nodeClass) : task.nodeClass,
    );
    scope
      .run(() =>
        task.stack
          ? executeStackTask(
              task.stack,
              planNode.key,
              taskQueue,
              `dag run ${workflowInfo().workflowId}`,
              `${planNode.key}: ${stackSummary(task.stack.operation, task.stack.project, task.stack.stack)}`,
            )
          : executeTask(taskSpec, { ...policy, taskQueue }, taskState, {
              priority: taskSpec.priority,
              workspaceKey: planNode.key,
            }),
      )
      .then(
        (result) =>
          scheduler.finish(node, {
            status: 'succeeded',
            attempts: result.attempts,
            startedAt,
            finishedAt: result.finishedAt,
            worker: result.worker,
            exitCode: result.exitCode,
            outputs: result.outputs,
          }),
        (err: unknown) =>
          scheduler.finish(node, {
            status: isCancellation(err) ? 'cancelled' : 'failed',
            attempts: taskState.attemptsFinished,
            startedAt,
            finishedAt: new Date().toISOString(),
            message: failureMessage(err, scheduler.failing && spec.failFast),
            ...exitCodeOf(err),
            ...logTailOfFailure(err),
          }),
      )
      .finally(() => {
        scopes.delete(node);
        changed = true;
      });
  };

  try {
    for (;;) {
      changed = false;
      const info = workflowInfo();
      const room = sizedDrain
        ? taskRoom(
            { events: info.historyLength, bytes: info.historySize },
            policy.continueAsNewAfterEvents,
            scopes.size,
          )
        : Infinity;
      const draining = sizedDrain
        ? room <= 0
        : info.historyLength >= policy.continueAsNewAfterEvents || info.continueAsNewSuggested;
      if (scheduler.failing && spec.failFast) for (const scope of scopes.values()) scope.cancel();
      if (!draining) scheduler.next(Math.min(spec.maxParallel - scopes.size, room)).dispatch.forEach(launch);
      setCurrentDetails(describe(scheduler, spec.name, executions, runningKeys()));
      if (scopes.size === 0 && scheduler.done) break;
      if (scopes.size === 0 && draining) {
        const carried = { states: packStates(states, runStart), executions };
        await continueAsNew<typeof dagWorkflow>({ spec: input.spec, ...defaultsOf(input), policy, carried });
      }
      await condition(() => changed);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The run was cancelled: every running task is being cancelled with it; record them, then end cancelled.
    await CancellationScope.nonCancellable(() => condition(() => scopes.size === 0));
    scheduler.cancelPending('cancelled: the run was cancelled');
    setCurrentDetails(describe(scheduler, spec.name, executions, runningKeys()));
    throw new CancelledFailure('DAG run cancelled');
  }

  const counts = scheduler.counts();
  const failed = plan.nodes.filter((_n, i) => states[i]!.status === 'failed').map((n) => n.key);
  const result: DagResult = { status: scheduler.failing ? 'failed' : 'succeeded', counts, failed, executions };
  if (scheduler.failing) {
    throw ApplicationFailure.create({
      type: FailureTypes.dagFailed,
      nonRetryable: true,
      details: [result],
      message: `${failed.length} task${failed.length === 1 ? '' : 's'} failed: ${failed.slice(0, 10).join(', ')}${failed.length > 10 ? ', ...' : ''}`,
    });
  }
  return result;
}

/** The defaults a continued run keeps: those it was given, or none (LEGACY_DAG_DEFAULTS) if it was started without. */
function defaultsOf(input: DagWorkflowInput): Pick<DagWorkflowInput, 'defaults'> {
  return input.defaults ? { defaults: input.defaults } : {};
}

function failureMessage(err: unknown, failingFast: boolean): string {
  if (isCancellation(err)) return failingFast ? 'cancelled: another task failed (fail fast)' : 'cancelled';
  return err instanceof Error ? err.message : String(err);
}

function exitCodeOf(err: unknown): { exitCode?: number } {
  const details =
    err instanceof ApplicationFailure ? (err.details?.[0] as { exitCode?: number } | undefined) : undefined;
  return details?.exitCode === undefined ? {} : { exitCode: details.exitCode };
}

/**
 * The failed command's last lines, as the activity put them in the failure. Only new attempts carry
 * one, so runs recorded before replay unchanged; it changes node state only, never a command.
 */
function logTailOfFailure(err: unknown): { logTail?: LogTail } {
  const details =
    err instanceof ApplicationFailure ? (err.details?.[0] as { logTail?: LogTail } | undefined) : undefined;
  return details?.logTail === undefined ? {} : { logTail: details.logTail };
}

/** The Web UI's details: counts, and up to ten running keys (`running` holds at most eleven, to know there are more). */
function describe(scheduler: DagScheduler, name: string, executions: number, running: string[]): string {
  const c = scheduler.counts();
  const parts = Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${n}`);
  const head = `**${name}**: ${parts.join(', ')}${executions > 1 ? ` (execution ${executions})` : ''}`;
  if (running.length === 0) return head;
  return `${head}\n\nrunning: ${running.slice(0, 10).join(', ')}${running.length > 10 ? ', ...' : ''}`;
}
