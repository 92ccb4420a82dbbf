/** Template resolution for DAG tasks: what a task refers to, and its body with `${{ }}` filled in. Pure. */
import type { DagTask } from '../contracts/dag-spec';
import type { TaskSpec } from '../contracts/task-spec';
import {
  expressionReferences,
  hasTemplate,
  parseExpression,
  parseTemplate,
  renderTemplate,
  templateReferences,
  type EvalContext,
} from './expression';

const referenceCache = new WeakMap<DagTask, string[]>();

/** Ids of the tasks a task's condition and templates refer to (parsed once per task object). */
export function referencedTasks(task: DagTask): string[] {
  const cached = referenceCache.get(task);
  if (cached) return cached;
  const refs = [
    ...(task.when === undefined ? [] : expressionReferences(parseExpression(task.when))),
    ...templateTexts(task)
      .filter(hasTemplate)
      .flatMap((text) => templateReferences(parseTemplate(text))),
  ];
  const ids = [...new Set(refs.flatMap((ref) => (ref.kind === 'matrix' ? [] : [ref.task])))];
  referenceCache.set(task, ids);
  return ids;
}

/** The task body of one node, every template rendered against `ctx`; `name` is the node's key, `labels` the run's (for metering). */
export function renderTask(
  task: DagTask,
  key: string,
  ctx: EvalContext,
  runPriority = 3,
  labels: Record<string, string> = {},
): TaskSpec {
  const render = (text: string): string => (hasTemplate(text) ? renderTemplate(parseTemplate(text), ctx) : text);
  return {
    name: key,
    nodeClass: task.nodeClass,
    ...(task.host !== undefined ? { host: task.host } : {}),
    ...(task.command !== undefined ? { command: render(task.command) } : {}),
    ...(task.script !== undefined ? { script: render(task.script) } : {}),
    args: task.args.map(render),
    env: Object.fromEntries(Object.entries(task.env).map(([k, v]) => [k, render(v)])),
    ...(task.workingDirectory !== undefined ? { workingDirectory: render(task.workingDirectory) } : {}),
    timeoutSeconds: task.timeoutSeconds,
    retry: task.retry,
    // Absent unless declared, so the activity input of a task without resources is what it was before.
    ...(task.resources !== undefined ? { resources: task.resources } : {}),
    priority: task.priority ?? runPriority,
    labels,
  };
}

function templateTexts(task: DagTask): string[] {
  return [task.command, task.script, task.workingDirectory, ...task.args, ...Object.values(task.env)].filter(
    (t): t is string => t !== undefined,
  );
}
