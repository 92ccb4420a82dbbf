/** Submit-time placement checks: a task that no worker of its class can ever hold is refused before anything starts. */
import type { FieldIssue } from '../../config/zod-issues';
import type { NodeClass } from '../../config/node-classes';
import type { DagSpec } from '../../workflows/contracts/dag-spec';
import { resourceMisfits, type Resources } from '../../workflows/contracts/resources';

/** Issues of one task body's `resources` on its class, named under `root` (e.g. `tasks[3].`). */
export function resourceFitIssues(
  body: { nodeClass: string; resources?: Resources },
  nodeClasses: readonly NodeClass[],
  root = '',
): FieldIssue[] {
  const nodeClass = nodeClasses.find((c) => c.name === body.nodeClass);
  if (!nodeClass) return [];
  return resourceMisfits(body.resources, nodeClass.resources, nodeClass.name).map((misfit) => ({
    field: `${root}resources.${misfit.field}`,
    message: `${misfit.message}; ask for less, or run it on a class whose workers give more`,
  }));
}

/** Issues of every DAG task's `resources`: too large for its class, or set on a stack task (which runs no command). */
export function dagResourceIssues(spec: DagSpec, nodeClasses: readonly NodeClass[]): FieldIssue[] {
  return spec.tasks.flatMap((task, i) =>
    task.stack && task.resources
      ? [{ field: `tasks[${i}].resources`, message: 'a stack task runs no command; resources apply to commands' }]
      : resourceFitIssues(task, nodeClasses, `tasks[${i}].`),
  );
}
