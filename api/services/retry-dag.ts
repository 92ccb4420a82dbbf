/** Retry from failure: a new run of the same DAG that reuses what succeeded and runs the rest again. */
import { packStates } from '../../workflows/dag/carry';
import { dagSpecOf, LEGACY_DAG_DEFAULTS } from '../../workflows/dag/defaults';
import { buildPlan } from '../../workflows/dag/plan';
import type { DagWorkflowInput, NodeState } from '../../workflows/contracts/dag-run';
import type { RunMemo } from '../../workflows/definitions';
import { ApiError } from '../errors';
import { allNodeStates, dagInputOf } from './dag-run-data';
import type { ApiDeps } from './deps';
import { runSummary } from './run-views';
import { startRun, type StartedRun } from './start-run';
import { fairnessPolicy, fairnessPriority } from '../placement/fairness';

/**
 * Starts a retry of a failed or cancelled DAG run: nodes that succeeded keep their outputs and show
 * as reused; failed, cancelled and skipped nodes, and so everything downstream of them, run again.
 */
export async function retryDag(
  deps: ApiDeps,
  runId: string,
  idempotencyKey?: string,
): Promise<StartedRun & { reused: number; rerun: number }> {
  const description = await deps.client.workflow.getHandle(runId).describe();
  const summary = runSummary(description);
  if (summary.kind !== 'dag')
    throw new ApiError(
      409,
      'not_a_dag',
      `run "${runId}" is a ${summary.kind} run; only DAG runs can be retried from failure`,
    );
  if (summary.status === 'running' || summary.status === 'completed') {
    throw new ApiError(
      409,
      'run_not_retryable',
      `run "${runId}" is ${summary.status}; only a failed or cancelled run can be retried`,
    );
  }
  const [input, nodes] = await Promise.all([dagInputOf(deps, runId), allNodeStates(deps, runId)]);
  // Everything downstream of a task that runs again runs again too, even if it succeeded last time
  // (after an always() or a continueOnError), so that it sees its upstream's new outputs.
  const plan = buildPlan(dagSpecOf(input));
  const rerun = plan.nodes.map((_n, i) => nodes[i]?.status !== 'succeeded');
  const dependents: number[][] = plan.nodes.map(() => []);
  plan.nodes.forEach((node, i) => node.deps.forEach((d) => dependents[d]!.push(i)));
  // Spec order need not be dependency order, so spread from every re-run node along its dependents.
  const queue = rerun.flatMap((r, i) => (r ? [i] : []));
  while (queue.length > 0) {
    for (const next of dependents[queue.pop()!]!) {
      if (!rerun[next]) {
        rerun[next] = true;
        queue.push(next);
      }
    }
  }
  const states: NodeState[] = nodes.map(({ key: _k, task: _t, ...state }, i) =>
    rerun[i] ? { status: 'pending' } : { ...state, reused: true },
  );
  const reused = states.filter((s) => s.reused).length;
  const fairness = fairnessPolicy(input.spec.labels ?? {}, deps.fairness, 'DAG spec');
  const retryInput: DagWorkflowInput = {
    spec: input.spec,
    // The retry runs the DAG as the failed run did, with the defaults that run was given.
    defaults: input.defaults ?? LEGACY_DAG_DEFAULTS,
    policy: {
      taskQueuePrefix: deps.taskQueuePrefix,
      ...deps.taskPolicy,
      ...deps.dagPolicy,
      pulumiNodeClass: deps.pulumiNodeClass,
      // Today's weights for the run's own team, as a new run of that spec would get.
      ...fairness,
    },
    carried: { states: packStates(states, Date.now()), executions: 0 },
  };
  const memo = description.memo as Partial<RunMemo> | undefined;
  const started = await startRun(
    deps,
    {
      kind: 'dag',
      workflowType: 'dagWorkflow',
      request: { retryOf: runId },
      args: [retryInput],
      priority: fairnessPriority(fairness),
      memo: { name: memo?.name, labels: memo?.labels, retryOf: runId },
      summary: `retry of ${runId}: ${states.length - reused} of ${states.length} tasks to run again`,
      idHint: memo?.name ? `${memo.name}-retry` : 'retry',
    },
    idempotencyKey,
  );
  return { ...started, reused, rerun: states.length - reused };
}
