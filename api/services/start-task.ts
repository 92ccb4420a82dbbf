/** Starts task runs on the node class they name. */
import { nodeClassTaskQueue } from '../../workflows/contracts/node-class';
import type { TaskWorkflowInput } from '../../workflows/contracts/task-run';
import type { TaskSpec } from '../../workflows/contracts/task-spec';
import { nodeClassSearchAttribute } from '../../workflows/definitions';
import { fairnessPolicy, fairnessPriority } from '../placement/fairness';
import type { ApiDeps } from './deps';
import { startRun, type StartedRun } from './start-run';

export type { StartedRun } from './start-run';

/** Starts a validated task run (see parseTaskSpec), or returns the run an earlier request with the same idempotency key started. */
export function startTask(deps: ApiDeps, spec: TaskSpec, idempotencyKey?: string): Promise<StartedRun> {
  const fairness = fairnessPolicy(spec.labels, deps.fairness, 'task spec');
  const input: TaskWorkflowInput = {
    spec,
    policy: {
      taskQueue: nodeClassTaskQueue(deps.taskQueuePrefix, spec.nodeClass),
      ...deps.taskPolicy,
      ...fairness,
    },
  };
  return startRun(
    deps,
    {
      kind: 'task',
      workflowType: 'taskWorkflow',
      request: spec,
      args: [input],
      priority: fairnessPriority(fairness),
      memo: {
        name: spec.name,
        nodeClass: spec.nodeClass,
        ...(spec.host ? { host: spec.host } : {}),
        labels: spec.labels,
      },
      searchAttributes: [{ key: nodeClassSearchAttribute, value: spec.nodeClass }],
      summary: `task ${spec.name ?? firstLine(spec.command ?? spec.script ?? '')} on ${spec.nodeClass}`,
    },
    idempotencyKey,
  );
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
