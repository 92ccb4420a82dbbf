/**
 * The DAG spec: tasks with dependencies, conditions, matrices and output templates. One schema
 * validates API bodies and YAML files, generates the OpenAPI document and types the DAG workflow.
 */
import { z } from 'zod';
import type { DagDefaults } from '../dag/defaults';
import { StackTaskSchema } from './stack-operation';
import { LabelsSchema, TASK_BODY_SHAPE } from './task-spec';

/** A task id: letters, digits, `_` and `-`, starting with a letter or `_`; usable inside `${{ tasks.<id>... }}`. */
const DAG_TASK_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
/** A matrix key: an identifier, as `${{ matrix.<key> }}` reads it. */
export const MATRIX_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Temporal task priority: 1 is served first, 5 last; 3 when unset. */
const PrioritySchema = z.number().int().min(1).max(5);

/** One task of a DAG: a task body plus its place in the graph. */
const DagTaskSchema = z.strictObject({
  id: z
    .string()
    .regex(DAG_TASK_ID_PATTERN, 'must be letters, digits, "_" or "-", starting with a letter or "_" (max 63)'),
  ...TASK_BODY_SHAPE,
  dependsOn: z.array(z.string().min(1)).max(1000).default([]),
  when: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe(
      "Condition over upstream results, e.g. \"tasks.build.outputs.version != '' && tasks.lint.status == 'succeeded'\".",
    ),
  continueOnError: z
    .boolean()
    .default(false)
    .describe('A failure of this task does not fail the run or skip its dependents.'),
  matrix: z
    .record(
      z.string().regex(MATRIX_KEY_PATTERN, 'must be an identifier'),
      z
        .array(z.union([z.string().max(1024), z.number(), z.boolean()]))
        .min(1)
        .max(1000),
    )
    .optional()
    .describe("Runs one branch per combination of values; downstream tasks see every branch's outputs as a list."),
  priority: PrioritySchema.optional(),
  stack: StackTaskSchema.optional().describe(
    'Run an operation on a declared Pulumi stack instead of a command, on the workers that run Pulumi; the stack outputs become the task outputs.',
  ),
});

/**
 * A DAG run request. The text rule (text-rule.ts) is applied by the API before this schema, not in
 * it: dagWorkflow parses the spec again, and a new refinement would change the replay of running DAGs.
 */
export const DagSpecSchema = z.strictObject({
  name: z.string().min(1).max(200),
  tasks: z.array(DagTaskSchema).min(1).max(100_000),
  maxParallel: z.number().int().min(1).max(1000).default(100).describe('Most tasks running at once in this run.'),
  failFast: z
    .boolean()
    .default(true)
    .describe(
      'On a failure, cancel running tasks and skip the rest (true), or finish every branch that does not depend on it (false).',
    ),
  priority: PrioritySchema.default(3),
  labels: LabelsSchema,
});

/** The schema's defaults as the values a DAG run is given (see dag/defaults.ts). */
export function currentDagDefaults(): DagDefaults {
  const spec = DagSpecSchema.parse({
    name: 'defaults',
    tasks: [
      { id: 'a', nodeClass: 'c', command: 'c' },
      { id: 'b', nodeClass: 'c', stack: { project: 'p', stack: 's' } },
    ],
  });
  const [task, stackTask] = spec.tasks as [DagTask, DagTask];
  return {
    maxParallel: spec.maxParallel,
    failFast: spec.failFast,
    priority: spec.priority,
    task: {
      args: task.args,
      env: task.env,
      timeoutSeconds: task.timeoutSeconds,
      retry: task.retry,
      dependsOn: task.dependsOn,
      continueOnError: task.continueOnError,
      stackOperation: stackTask.stack!.operation,
    },
  };
}

/** A DAG spec as sent (defaults not yet applied). */
export type DagSpecInput = z.input<typeof DagSpecSchema>;
/** A validated DAG spec with defaults applied. */
export type DagSpec = z.output<typeof DagSpecSchema>;
/** One validated DAG task. */
export type DagTask = z.output<typeof DagTaskSchema>;
/** A value of a matrix axis. */
export type MatrixValue = string | number | boolean;
