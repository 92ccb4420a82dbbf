/** Starts DAG runs. */
import type { DagWorkflowInput } from '../../workflows/contracts/dag-run';
import { currentDagDefaults, type DagSpec, type DagSpecInput } from '../../workflows/contracts/dag-spec';
import { fairnessPolicy, fairnessPriority } from '../placement/fairness';
import type { ApiDeps } from './deps';
import { startRun, type StartedRun } from './start-run';

/**
 * Starts a validated DAG (see parseDagSpec). The spec is sent as the user wrote it, which keeps
 * large specs inside Temporal's payload limit, with today's defaults for the workflow to fill in.
 */
export function startDag(
  deps: ApiDeps,
  spec: DagSpec,
  asSent: DagSpecInput,
  idempotencyKey?: string,
): Promise<StartedRun> {
  const fairness = fairnessPolicy(spec.labels, deps.fairness, 'DAG spec');
  const input: DagWorkflowInput = {
    spec: asSent,
    defaults: currentDagDefaults(),
    policy: {
      taskQueuePrefix: deps.taskQueuePrefix,
      ...deps.taskPolicy,
      ...deps.dagPolicy,
      pulumiNodeClass: deps.pulumiNodeClass,
      ...fairness,
    },
  };
  return startRun(
    deps,
    {
      kind: 'dag',
      workflowType: 'dagWorkflow',
      request: asSent,
      args: [input],
      priority: fairnessPriority(fairness),
      memo: { name: spec.name, labels: spec.labels },
      summary: `DAG ${spec.name}: ${spec.tasks.length} task${spec.tasks.length === 1 ? '' : 's'}`,
      idHint: spec.name,
    },
    idempotencyKey,
  );
}
