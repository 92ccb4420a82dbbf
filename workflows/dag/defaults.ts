/**
 * A DAG run's defaults as values it is given. The API sends the spec as written (a 10,000-task spec
 * stays under Temporal's payload limit) together with the defaults of the day; the workflow fills
 * them in without consulting the schema, so a default changed in contracts/dag-spec.ts never
 * changes a DAG that is already running.
 */
import type { DagWorkflowInput } from '../contracts/dag-run';
import type { DagSpec, DagSpecInput, DagTask } from '../contracts/dag-spec';
import type { StackTaskSpec } from '../stack/stack-task';
import type { TaskRetry } from '../contracts/task-spec';

/** Every value a DAG spec may leave out. */
export interface DagDefaults {
  maxParallel: number;
  failFast: boolean;
  priority: number;
  task: {
    args: string[];
    env: Record<string, string>;
    timeoutSeconds: number;
    retry: TaskRetry;
    dependsOn: string[];
    continueOnError: boolean;
    stackOperation: StackTaskSpec['operation'];
  };
}

/**
 * The defaults of runs started before the API sent them, which recorded histories replay with.
 * Frozen: never edit these values, change the schema's instead.
 */
export const LEGACY_DAG_DEFAULTS: DagDefaults = {
  maxParallel: 100,
  failFast: true,
  priority: 3,
  task: {
    args: [],
    env: {},
    timeoutSeconds: 3600,
    retry: { maxAttempts: 1, initialIntervalSeconds: 1, backoffCoefficient: 2, maxIntervalSeconds: 60 },
    dependsOn: [],
    continueOnError: false,
    stackOperation: 'up',
  },
};

/** `spec` (validated, as sent) with every value it left out taken from `defaults`. */
export function applyDagDefaults(spec: DagSpecInput, defaults: DagDefaults): DagSpec {
  const d = defaults.task;
  return {
    ...spec,
    maxParallel: spec.maxParallel ?? defaults.maxParallel,
    failFast: spec.failFast ?? defaults.failFast,
    priority: spec.priority ?? defaults.priority,
    labels: spec.labels ?? {},
    tasks: spec.tasks.map(({ stack, ...task }): DagTask => ({
      ...task,
      args: task.args ?? d.args,
      env: task.env ?? d.env,
      timeoutSeconds: task.timeoutSeconds ?? d.timeoutSeconds,
      retry: { ...d.retry, ...task.retry },
      dependsOn: task.dependsOn ?? d.dependsOn,
      continueOnError: task.continueOnError ?? d.continueOnError,
      ...(stack ? { stack: { ...stack, operation: stack.operation ?? d.stackOperation } } : {}),
    })),
  };
}

/** The spec a DAG run works on: its input's spec with the defaults it was started with. */
export function dagSpecOf(input: Pick<DagWorkflowInput, 'spec' | 'defaults'>): DagSpec {
  return applyDagDefaults(input.spec, input.defaults ?? LEGACY_DAG_DEFAULTS);
}
