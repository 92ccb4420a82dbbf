/**
 * The DAG scheduler: ready set, conditions, skips, fail-fast and results, as deterministic code
 * that the DAG workflow drives. Counters make each step proportional to what changed, so a
 * 10,000-node run does not rescan the graph on every completion.
 */
import type { DagSpec } from '../contracts/dag-spec';
import { TERMINAL_STATUSES, type NodeState, type NodeStatus, type StatusCounts } from '../contracts/dag-run';
import { evaluateCondition, parseExpression, type EvalContext, type Expr } from './expression';
import type { DagPlan } from './plan';
import { referencedTasks } from './render';

const TERMINAL = new Set<NodeStatus>(TERMINAL_STATUSES);

/** What to do next: nodes to start now. Skips are applied to the states directly. */
export interface SchedulerStep {
  dispatch: number[];
}

/** How the scheduler walks its ready queue. */
export interface SchedulerOptions {
  /**
   * Stop at the first `slots` dispatches and judge the other ready nodes (conditions, skips) when
   * their turn comes, so one step costs what it dispatches, not the whole ready set. Runs started
   * before this option judged every ready node each step; they replay with it off.
   */
  lazySkips?: boolean;
}

/** Scheduling state of one DAG run. */
export class DagScheduler {
  /** Non-terminal dependencies left per node. */
  private readonly waiting: number[];
  private readonly dependents: number[][];
  /** Ready nodes in FIFO order from `head` on; the consumed prefix is dropped once it outgrows the rest. */
  private ready: number[] = [];
  private head = 0;
  /** Nodes per status, kept as states change so counts and `done` never rescan the graph. */
  private readonly tally: StatusCounts = { pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
  private readonly lazySkips: boolean;
  private readonly conditions = new Map<number, Expr>();
  private readonly taskIndex: Map<string, number>;
  /** Set once a failure without continueOnError happened. */
  failing = false;

  constructor(
    readonly spec: DagSpec,
    readonly plan: DagPlan,
    readonly states: NodeState[],
    options: SchedulerOptions = {},
  ) {
    this.lazySkips = options.lazySkips ?? false;
    for (const state of states) this.tally[state.status] += 1;
    this.taskIndex = new Map(spec.tasks.map((t, i) => [t.id, i]));
    this.dependents = plan.nodes.map(() => []);
    plan.nodes.forEach((node, i) => node.deps.forEach((d) => this.dependents[d]!.push(i)));
    this.waiting = plan.nodes.map((node) => node.deps.filter((d) => !TERMINAL.has(states[d]!.status)).length);
    plan.nodes.forEach((node, i) => {
      const status = states[i]!.status;
      if (status === 'pending' && this.waiting[i] === 0) this.ready.push(i);
      if (status === 'failed' && !spec.tasks[node.task]!.continueOnError) this.failing = true;
    });
  }

  /** Decides which ready nodes start (at most `slots`), skipping those whose condition is false. */
  next(slots: number): SchedulerStep {
    const dispatch: number[] = [];
    const deferred: number[] = [];
    const failingFast = (): boolean => this.failing && this.spec.failFast;
    while (this.head < this.ready.length) {
      if (this.lazySkips && dispatch.length >= slots && !failingFast()) break;
      const node = this.ready[this.head++]!;
      if (failingFast()) {
        this.finish(node, { status: 'skipped', message: 'skipped: the run is failing fast' });
        continue;
      }
      const skipReason = this.skipReason(node);
      if (skipReason !== undefined) {
        this.finish(node, { status: 'skipped', message: skipReason });
      } else if (dispatch.length < slots) {
        this.setState(node, { status: 'running' });
        dispatch.push(node);
      } else {
        deferred.push(node);
      }
    }
    if (!this.lazySkips) {
      // Every ready node was judged; those without a slot queue again, in order.
      this.ready = deferred;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.ready.length) {
      // The rest stays queued in place; the consumed prefix is dropped now and then, not on every step.
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return { dispatch };
  }

  /** Records the end of a node and releases its dependents. */
  finish(node: number, state: NodeState): void {
    this.setState(node, state);
    if (state.status === 'failed' && !this.spec.tasks[this.plan.nodes[node]!.task]!.continueOnError)
      this.failing = true;
    for (const dependent of this.dependents[node]!) {
      this.waiting[dependent]! -= 1;
      if (this.waiting[dependent] === 0 && this.states[dependent]!.status === 'pending') this.ready.push(dependent);
    }
  }

  /** Replaces a node's state, keeping the counts; the workflow uses it to add what it knows of a running node. */
  setState(node: number, state: NodeState): void {
    this.tally[this.states[node]!.status] -= 1;
    this.tally[state.status] += 1;
    this.states[node] = state;
  }

  /** Marks every node that has not started as cancelled (the run was cancelled). */
  cancelPending(message: string): void {
    this.states.forEach((state, i) => {
      if (state.status === 'pending') this.setState(i, { status: 'cancelled', message });
    });
    this.ready = [];
    this.head = 0;
  }

  /** True when no node can change any more. */
  get done(): boolean {
    return this.tally.pending === 0 && this.tally.running === 0;
  }

  /** Nodes per status. */
  counts(): StatusCounts {
    return { ...this.tally };
  }

  /** Combined status of a task over its matrix branches. */
  taskStatus(task: number): NodeStatus {
    const statuses = this.plan.nodesOfTask[task]!.map((n) => this.states[n]!.status);
    const order: NodeStatus[] = ['failed', 'running', 'pending', 'cancelled', 'succeeded', 'skipped'];
    if (statuses.every((s) => s === 'skipped')) return 'skipped';
    if (statuses.every((s) => s === 'succeeded' || s === 'skipped')) return 'succeeded';
    return order.find((s) => statuses.includes(s)) ?? 'pending';
  }

  /** What the node's condition and templates are evaluated against: referenced tasks only. */
  contextFor(node: number): EvalContext {
    const planNode = this.plan.nodes[node]!;
    const task = this.spec.tasks[planNode.task]!;
    const tasks: EvalContext['tasks'] = {};
    for (const id of referencedTasks(task)) {
      const index = this.taskIndex.get(id);
      if (index === undefined) continue;
      const branches = this.plan.nodesOfTask[index]!.map((n) => this.states[n]!.outputs ?? {});
      tasks[id] = { status: this.taskStatus(index), outputs: this.spec.tasks[index]!.matrix ? branches : branches[0]! };
    }
    const dependencyStatuses = task.dependsOn.map((id) => this.taskStatus(this.taskIndex.get(id)!));
    return { tasks, dependencyStatuses, ...(planNode.matrix ? { matrix: planNode.matrix } : {}) };
  }

  /** Why a ready node does not run, or undefined when it does. Without `when`, every dependency must have succeeded. */
  private skipReason(node: number): string | undefined {
    const planNode = this.plan.nodes[node]!;
    const task = this.spec.tasks[planNode.task]!;
    if (task.when === undefined) {
      // Judged per task, as `tasks.<id>.status` and success() see it: a matrix with some branches
      // skipped by their own condition still succeeded.
      for (const dep of task.dependsOn) {
        const index = this.taskIndex.get(dep)!;
        const status = this.taskStatus(index);
        if (status !== 'succeeded' && !(status === 'failed' && this.spec.tasks[index]!.continueOnError))
          return `skipped: dependency ${dep} ${status}`;
      }
      return undefined;
    }
    let condition = this.conditions.get(planNode.task);
    if (condition === undefined) {
      condition = parseExpression(task.when);
      this.conditions.set(planNode.task, condition);
    }
    return evaluateCondition(condition, this.contextFor(node))
      ? undefined
      : `skipped: condition is false: ${task.when}`;
  }
}
