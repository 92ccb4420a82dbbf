/**
 * Checks a DAG spec before anything starts: ids, dependencies, cycles, node classes, conditions,
 * templates, references to upstream outputs and matrix size. Pure, so the API and the CLI share it.
 */
import type { DagSpec, DagTask } from '../contracts/dag-spec';
import { commandOrScriptIssue } from '../contracts/task-spec';
import {
  ExpressionError,
  expressionReferences,
  hasTemplate,
  parseExpression,
  parseTemplate,
  templateReferences,
  type Reference,
} from './expression';
import { expandedSize } from './plan';

/** One problem, named by its place in the spec (`tasks[3].dependsOn[0]`). */
export interface DagIssue {
  field: string;
  message: string;
}

/** Size limits a deployment sets. */
export interface DagLimits {
  /** Most nodes a DAG may expand to, matrices included. */
  maxExpandedTasks: number;
  /** Most branches one matrix may expand to. */
  maxMatrixBranches: number;
}

/** Returns every problem of the spec; an empty list means it can run. */
export function validateDag(spec: DagSpec, nodeClasses: readonly string[], limits: DagLimits): DagIssue[] {
  const issues: DagIssue[] = [];
  const firstIndex = new Map<string, number>();
  spec.tasks.forEach((task, i) => {
    const earlier = firstIndex.get(task.id);
    if (earlier !== undefined)
      issues.push({ field: `tasks[${i}].id`, message: `duplicate task id "${task.id}" (also tasks[${earlier}])` });
    else firstIndex.set(task.id, i);
  });
  spec.tasks.forEach((task, i) => {
    task.dependsOn.forEach((dep, d) => {
      if (!firstIndex.has(dep))
        issues.push({
          field: `tasks[${i}].dependsOn[${d}]`,
          message: `unknown task "${dep}"${suggestion(dep, firstIndex)}`,
        });
    });
    const commandIssue = task.stack
      ? task.command !== undefined || task.script !== undefined
        ? 'a stack task runs no command or script'
        : undefined
      : commandOrScriptIssue(task);
    if (commandIssue) issues.push({ field: `tasks[${i}].command`, message: commandIssue });
    if (task.stack && task.host !== undefined)
      issues.push({
        field: `tasks[${i}].host`,
        message: "a stack task runs on the Pulumi class's workers, not a host",
      });
    if (!nodeClasses.includes(task.nodeClass)) {
      issues.push({
        field: `tasks[${i}].nodeClass`,
        message: `unknown node class "${task.nodeClass}"; valid: ${nodeClasses.join(', ')}`,
      });
    }
    if (task.matrix) {
      // Multiplied, not built: a 1000 × 1000 × 1000 matrix must be refused, not expanded.
      const branches = Object.values(task.matrix).reduce((n, values) => n * values.length, 1);
      if (branches > limits.maxMatrixBranches) {
        issues.push({
          field: `tasks[${i}].matrix`,
          message: `expands to ${branches} branches, over the limit of ${limits.maxMatrixBranches}`,
        });
      }
    }
  });
  const total = expandedSize(spec);
  if (total > limits.maxExpandedTasks) {
    issues.push({
      field: 'tasks',
      message: `expands to ${total} tasks (matrices included), over the limit of ${limits.maxExpandedTasks}`,
    });
  }
  if (issues.some((i) => i.message.startsWith('duplicate') || i.message.startsWith('unknown task'))) return issues;
  const cycle = findCycle(spec);
  if (cycle) {
    issues.push({
      field: `tasks[${firstIndex.get(cycle[0]!)}].dependsOn`,
      message: `dependency cycle: ${cycle.join(' → ')}`,
    });
    return issues;
  }
  spec.tasks.forEach((task, i) => issues.push(...expressionIssues(spec, task, i, firstIndex)));
  return issues;
}

/** The first cycle found, as ids from a task back to itself, or undefined. Iterative: 10,000-deep chains must not overflow the stack. */
export function findCycle(spec: Pick<DagSpec, 'tasks'>): string[] | undefined {
  const deps = new Map(spec.tasks.map((t) => [t.id, t.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  for (const root of deps.keys()) {
    if (state.has(root)) continue;
    const path: string[] = [];
    const stack: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    state.set(root, 'visiting');
    path.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const children = deps.get(top.id) ?? [];
      if (top.next >= children.length) {
        state.set(top.id, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const child = children[top.next++]!;
      if (state.get(child) === 'visiting') return [...path.slice(path.indexOf(child)), child];
      if (!state.has(child) && deps.has(child)) {
        state.set(child, 'visiting');
        path.push(child);
        stack.push({ id: child, next: 0 });
      }
    }
  }
  return undefined;
}

/** Conditions and templates of one task: they must parse, and refer only to upstream tasks and the task's own matrix. */
function expressionIssues(spec: DagSpec, task: DagTask, index: number, ids: Map<string, number>): DagIssue[] {
  const issues: DagIssue[] = [];
  const references: Array<{ field: string; refs: Reference[] }> = [];
  const parse = (field: string, parser: () => Reference[]): void => {
    try {
      references.push({ field, refs: parser() });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      issues.push({ field, message: err.message });
    }
  };
  const base = `tasks[${index}]`;
  if (task.when !== undefined) parse(`${base}.when`, () => expressionReferences(parseExpression(task.when!)));
  for (const [field, text] of templatedFields(task)) {
    if (hasTemplate(text)) parse(`${base}.${field}`, () => templateReferences(parseTemplate(text)));
  }
  for (const { field, refs } of references) {
    for (const ref of refs) {
      if (ref.kind === 'matrix') {
        if (!task.matrix || !Object.hasOwn(task.matrix, ref.key))
          issues.push({ field, message: `matrix.${ref.key}: task "${task.id}" has no matrix key "${ref.key}"` });
      } else if (!isUpstream(spec, index, ref.task, ids)) {
        const what = ids.has(ref.task)
          ? `"${ref.task}" is not upstream of "${task.id}" (add it to dependsOn)`
          : `unknown task "${ref.task}"`;
        issues.push({ field, message: `tasks.${ref.task}: ${what}` });
      }
    }
  }
  return issues;
}

/** The fields of a task that may hold `${{ }}` templates, with their names as the spec spells them. */
function templatedFields(task: DagTask): Array<[string, string]> {
  return [
    ...(task.command !== undefined ? [['command', task.command] as [string, string]] : []),
    ...(task.script !== undefined ? [['script', task.script] as [string, string]] : []),
    ...(task.workingDirectory !== undefined ? [['workingDirectory', task.workingDirectory] as [string, string]] : []),
    ...task.args.map((arg, i) => [`args[${i}]`, arg] as [string, string]),
    ...Object.entries(task.env).map(([key, value]) => [`env.${key}`, value] as [string, string]),
  ];
}

/**
 * Whether `target` is an ancestor of task `index`: a search up the dependencies that stops when it
 * finds it. References are nearly always to direct dependencies, so this is usually one step; a
 * full ancestor set per task would be quadratic on a 10,000-task chain.
 */
function isUpstream(spec: DagSpec, index: number, target: string, ids: Map<string, number>): boolean {
  const seen = new Set<string>();
  const queue = [...spec.tasks[index]!.dependsOn];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(spec.tasks[ids.get(id) ?? -1]?.dependsOn ?? []));
  }
  return false;
}

function suggestion(id: string, known: Map<string, number>): string {
  const close = [...known.keys()].find((k) => k.toLowerCase() === id.toLowerCase() || editDistanceAtMostOne(k, id));
  return close ? `; did you mean "${close}"?` : '';
}

function editDistanceAtMostOne(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}
