/**
 * Checks a task or DAG spec and draws its plan without starting anything: the answer of
 * `POST /v1/dags/plan`, which the console's editor asks for as the author types.
 */
import type { FieldIssue } from '../../config/zod-issues';
import type { DagSpec } from '../../workflows/contracts/dag-spec';
import { expandedSize, buildPlan } from '../../workflows/dag/plan';
import { findCycle } from '../../workflows/dag/validate';
import { longestPathLayers } from '../graph/layout';
import { checkDagSpec, checkTaskSpec } from '../validate';
import type { ApiDeps } from './deps';

/** One node of a plan: its key, task id, layer (column) and, for a body with a source, the task's line. */
export interface PlanNode {
  key: string;
  task: string;
  status: 'pending';
  layer: number;
  line?: number;
}

/** A plan as the run graph's JSON draws it (`GET /v1/runs/:id/graph?format=json`), before any run exists. */
export interface PlanGraph {
  name: string;
  nodes: PlanNode[];
  /** `[from, to]` node keys. */
  edges: Array<[string, string]>;
  /** How many layers (columns) the plan has. */
  layers: number;
}

/** One problem of a spec, where it is written when the body's text is known, and the tasks it concerns. */
export interface PlanIssue extends FieldIssue {
  line?: number;
  column?: number;
  /** Ids of the tasks the issue is about; for a cycle, every task in it, in the cycle's order. */
  tasks?: string[];
}

/** What the plan route answers: the plan of a valid spec, or its issues (and the plan, when it can still be drawn). */
export type PlanAnswer =
  | { valid: true; kind: 'dag' | 'task'; plan: PlanGraph }
  | { valid: false; kind: 'dag' | 'task'; issues: PlanIssue[]; plan?: PlanGraph };

/** Where a field is written in the body's text, when the route kept it. */
export type Locate = (field: string) => { line: number; column: number } | undefined;

/** Checks `body` as a DAG spec (it has `tasks`) or a task spec, and plans it; starts nothing. */
export function planSpec(deps: ApiDeps, body: unknown, locate?: Locate): PlanAnswer {
  const isDag = typeof body === 'object' && body !== null && !Array.isArray(body) && 'tasks' in body;
  return isDag ? planDag(deps, body, locate) : planTask(deps, body, locate);
}

function planDag(deps: ApiDeps, body: unknown, locate?: Locate): PlanAnswer {
  const { spec, issues } = checkDagSpec(body, deps.nodeClasses, deps.dagLimits);
  const ids = taskIds(body);
  const located = issues.map((issue) => {
    const cycle = spec && issue.message.startsWith('dependency cycle') ? findCycle(spec) : undefined;
    const index = /^tasks\[(\d+)\]/.exec(issue.field)?.[1];
    const task = index === undefined ? undefined : ids[Number(index)];
    const tasks = cycle ? [...new Set(cycle)] : task === undefined ? undefined : [task];
    return { ...issue, ...locate?.(issue.field), ...(tasks ? { tasks } : {}) };
  });
  const plan = spec && drawable(spec, deps.dagLimits.maxExpandedTasks) ? planGraph(spec, locate) : undefined;
  if (located.length === 0 && plan) return { valid: true, kind: 'dag', plan };
  return { valid: false, kind: 'dag', issues: sorted(located), ...(plan ? { plan } : {}) };
}

function planTask(deps: ApiDeps, body: unknown, locate?: Locate): PlanAnswer {
  const { spec, issues } = checkTaskSpec(body, deps.nodeClasses);
  if (!spec) return { valid: false, kind: 'task', issues: sorted(issues.map((i) => ({ ...i, ...locate?.(i.field) }))) };
  const key = spec.name ?? 'task';
  const line = locate?.('nodeClass')?.line;
  return {
    valid: true,
    kind: 'task',
    plan: {
      name: key,
      nodes: [{ key, task: key, status: 'pending', layer: 0, ...(line === undefined ? {} : { line }) }],
      edges: [],
      layers: 1,
    },
  };
}

/** A spec's plan can be drawn when its ids are unique and it expands to no more nodes than a run may have. */
function drawable(spec: DagSpec, maxNodes: number): boolean {
  return new Set(spec.tasks.map((t) => t.id)).size === spec.tasks.length && expandedSize(spec) <= maxNodes;
}

/**
 * The plan's nodes (matrices expanded), edges and layers. Dependencies on unknown tasks are left out
 * and a cycle's tasks go after the rest, so a spec with those issues is still drawn for its author.
 */
export function planGraph(spec: DagSpec, locate?: Locate): PlanGraph {
  const known = new Set(spec.tasks.map((t) => t.id));
  const plan = buildPlan({
    ...spec,
    tasks: spec.tasks.map((t) => ({ ...t, dependsOn: t.dependsOn.filter((d) => known.has(d)) })),
  });
  const layer = longestPathLayers(withoutBackEdges(plan.nodes.map((n) => n.deps)));
  const lines = spec.tasks.map((_, i) => locate?.(`tasks[${i}]`)?.line);
  return {
    name: spec.name,
    nodes: plan.nodes.map((n, i) => {
      const line = lines[n.task];
      return {
        key: n.key,
        task: spec.tasks[n.task]!.id,
        status: 'pending',
        layer: layer[i]!,
        ...(line === undefined ? {} : { line }),
      };
    }),
    edges: plan.nodes.flatMap((n) => n.deps.map((d): [string, string] => [plan.nodes[d]!.key, n.key])),
    layers: layer.reduce((max, l) => Math.max(max, l + 1), 0),
  };
}

/**
 * The dependencies less those that close a cycle, so a cyclic spec is laid out as its author reads it
 * (the closing edge drawn backwards) rather than piled up at the end. The search walks from upstream
 * to downstream in the order tasks are written, without recursion; a dependency on a task still on
 * its path is the one that closes a cycle.
 */
function withoutBackEdges(deps: number[][]): number[][] {
  const children: number[][] = deps.map(() => []);
  deps.forEach((ds, i) => ds.forEach((d) => children[d]!.push(i)));
  const state = new Array<0 | 1 | 2>(deps.length).fill(0); // unseen, on the path, done
  const kept = deps.map((ds) => [...ds]);
  for (let root = 0; root < deps.length; root++) {
    if (state[root] !== 0) continue;
    const stack: Array<{ node: number; next: number }> = [{ node: root, next: 0 }];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next >= children[top.node]!.length) {
        state[top.node] = 2;
        stack.pop();
        continue;
      }
      const child = children[top.node]![top.next++]!;
      if (state[child] === 1) kept[child] = kept[child]!.filter((d) => d !== top.node);
      else if (state[child] === 0) {
        state[child] = 1;
        stack.push({ node: child, next: 0 });
      }
    }
  }
  return kept;
}

function taskIds(body: unknown): Array<string | undefined> {
  const tasks = (body as { tasks?: unknown }).tasks;
  if (!Array.isArray(tasks)) return [];
  return tasks.map((t: unknown) => {
    const id = (t as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  });
}

/** Issues in the order they are written, those without a position first (they concern the whole body). */
function sorted(issues: PlanIssue[]): PlanIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
