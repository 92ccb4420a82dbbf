/** Validates inputs with zod and turns failures into 400s that name each field. */
import type { z } from 'zod';
import { fieldIssues, type FieldIssue } from '../config/zod-issues';
import type { NodeClass } from '../config/node-classes';
import { commandOrScriptIssue, TaskSpecSchema, type TaskSpec } from '../workflows/contracts/task-spec';
import { DagSpecSchema, type DagSpec } from '../workflows/contracts/dag-spec';
import { validateDag, type DagLimits } from '../workflows/dag/validate';
import { validationError, type ApiError } from './errors';
import { dagResourceIssues, resourceFitIssues } from './placement/resource-fit';

/** Parses `value` or throws a 400 ApiError; `root` prefixes field names (e.g. `query`, `header`). */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string, root = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(fieldIssues(result.error.issues, root), what);
  return result.data;
}

/** Validates a task spec, including that its node class is configured, reporting every bad field at once. */
export function parseTaskSpec(body: unknown, nodeClasses: NodeClass[]): TaskSpec {
  const { spec, issues } = checkTaskSpec(body, nodeClasses);
  if (!spec) throw validationError(issues, 'task spec');
  return spec;
}

/** The checks of parseTaskSpec without the throw: the spec when it is valid, else every issue. */
export function checkTaskSpec(body: unknown, nodeClasses: NodeClass[]): { spec?: TaskSpec; issues: FieldIssue[] } {
  const result = TaskSpecSchema.safeParse(body);
  const issues: FieldIssue[] = result.success ? [] : fieldIssues(result.error.issues);
  // zod skips the object's refinements when a field fails, so the command/script rule is checked here too.
  const commandIssue = commandOrScriptIssue(body);
  if (!result.success && commandIssue && !issues.some((i) => i.field === 'command'))
    issues.push({ field: 'command', message: commandIssue });
  const nodeClass = (body as { nodeClass?: unknown } | null)?.nodeClass;
  if (typeof nodeClass === 'string' && !nodeClasses.some((c) => c.name === nodeClass)) {
    issues.push({
      field: 'nodeClass',
      message: `unknown node class "${nodeClass}"; valid: ${nodeClasses.map((c) => c.name).join(', ')}`,
    });
  }
  if (result.success) issues.push(...resourceFitIssues(result.data, nodeClasses));
  return result.success && issues.length === 0 ? { spec: result.data, issues } : { issues };
}

/** Largest DAG spec (JSON as sent) a run can carry through continue-as-new with its node states. */
export const MAX_DAG_SPEC_BYTES = 1_000_000;

/** The 400 for a DAG spec of `specBytes` bytes of JSON, more than MAX_DAG_SPEC_BYTES. */
export function dagSpecTooLarge(specBytes: number): ApiError {
  return validationError(
    [
      {
        field: 'tasks',
        message: `the spec is ${specBytes} bytes of JSON; at most ${MAX_DAG_SPEC_BYTES} fit beside the run's state in Temporal's 2 MB payload limit`,
      },
    ],
    'DAG spec',
  );
}

/** Validates a DAG spec: its shape, then the graph (ids, dependencies, cycles, classes, expressions, size). */
export function parseDagSpec(body: unknown, nodeClasses: NodeClass[], limits: DagLimits): DagSpec {
  const spec = parseOr400(DagSpecSchema, body, 'DAG spec');
  // The spec rides in every continue-as-new input next to the packed node states; both must fit 2 MB.
  const specBytes = Buffer.byteLength(JSON.stringify(body));
  if (specBytes > MAX_DAG_SPEC_BYTES) throw dagSpecTooLarge(specBytes);
  const issues = [
    ...validateDag(
      spec,
      nodeClasses.map((c) => c.name),
      limits,
    ),
    ...dagResourceIssues(spec, nodeClasses),
  ];
  if (issues.length > 0) throw validationError(issues, 'DAG spec');
  return spec;
}

/** What checking a DAG spec found: the spec when its shape is right (even with graph issues), and every issue. */
export interface DagSpecCheck {
  /** The parsed spec, present when the schema accepted it; `issues` may still hold graph problems. */
  spec?: DagSpec;
  issues: FieldIssue[];
}

/** The checks of parseDagSpec without the throw, keeping the parsed spec so a spec with a cycle can still be drawn. */
export function checkDagSpec(body: unknown, nodeClasses: NodeClass[], limits: DagLimits): DagSpecCheck {
  const result = DagSpecSchema.safeParse(body);
  if (!result.success) return { issues: fieldIssues(result.error.issues) };
  const specBytes = Buffer.byteLength(JSON.stringify(body));
  if (specBytes > MAX_DAG_SPEC_BYTES) return { issues: dagSpecTooLarge(specBytes).details as FieldIssue[] };
  const issues = [
    ...validateDag(
      result.data,
      nodeClasses.map((c) => c.name),
      limits,
    ),
    ...dagResourceIssues(result.data, nodeClasses),
  ];
  return { spec: result.data, issues };
}
