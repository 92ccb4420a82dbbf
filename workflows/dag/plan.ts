/** Expands a DAG spec into its plan: one node per task or matrix branch, with dependencies by index. Pure. */
import type { DagSpec, MatrixValue } from '../contracts/dag-spec';

/** One schedulable unit: a task, or one branch of a matrix task. */
export interface PlanNode {
  /** `build`, or `test[2]` for the third branch of matrix task `test`. */
  key: string;
  /** Index of the task in `spec.tasks`. */
  task: number;
  /** The branch's matrix values. */
  matrix?: Record<string, MatrixValue>;
  /** Indices of the nodes this one waits for (every branch of a matrix dependency). */
  deps: number[];
}

/** The expanded graph of a DAG spec. */
export interface DagPlan {
  nodes: PlanNode[];
  /** Node indices of each task, in matrix order (one for a plain task). */
  nodesOfTask: number[][];
}

/** Every combination of the matrix axes, in the order the axes and values are written. */
export function matrixCombinations(matrix: Record<string, MatrixValue[]>): Array<Record<string, MatrixValue>> {
  return Object.entries(matrix).reduce<Array<Record<string, MatrixValue>>>(
    (combos, [key, values]) => combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value }))),
    [{}],
  );
}

/** How many nodes a spec expands to, without building them (for the limit check). */
export function expandedSize(spec: Pick<DagSpec, 'tasks'>): number {
  return spec.tasks.reduce(
    (sum, task) => sum + (task.matrix ? Object.values(task.matrix).reduce((n, v) => n * v.length, 1) : 1),
    0,
  );
}

/** Builds the plan of a validated spec (dependencies known, no cycles). */
export function buildPlan(spec: DagSpec): DagPlan {
  const taskIndex = new Map(spec.tasks.map((task, i) => [task.id, i]));
  const nodes: PlanNode[] = [];
  const nodesOfTask: number[][] = [];
  spec.tasks.forEach((task, i) => {
    const combos = task.matrix ? matrixCombinations(task.matrix) : [undefined];
    nodesOfTask[i] = combos.map((matrix, branch) => {
      nodes.push({
        key: task.matrix ? `${task.id}[${branch}]` : task.id,
        task: i,
        ...(matrix ? { matrix } : {}),
        deps: [],
      });
      return nodes.length - 1;
    });
  });
  nodes.forEach((node) => {
    node.deps = spec.tasks[node.task]!.dependsOn.flatMap((dep) => nodesOfTask[taskIndex.get(dep)!]!);
  });
  return { nodes, nodesOfTask };
}
