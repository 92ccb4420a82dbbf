/** Inputs, per-task state and results of the DAG workflow; plain types shared by API, workflow and CLI. */
import type { PackedStates } from '../dag/carry';
import type { DagDefaults } from '../dag/defaults';
import type { DagSpecInput } from './dag-spec';
import type { LogTail } from './log-tail';
import type { TaskExecutionPolicy } from './task-run';

/** State of one task (or matrix branch) of a DAG run. */
export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** Statuses after which a node never changes again. */
export const TERMINAL_STATUSES: readonly NodeStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

/** What the run knows of one node. */
export interface NodeState {
  status: NodeStatus;
  attempts?: number;
  startedAt?: string;
  finishedAt?: string;
  worker?: string;
  exitCode?: number;
  outputs?: Record<string, string>;
  /** Why it failed, was skipped or cancelled. */
  message?: string;
  /**
   * A failed node's last lines of stderr (stdout when stderr is empty). A continue-as-new carries
   * those of the first MAX_CARRIED_LOG_TAILS failed nodes only; `message` still quotes the last line.
   */
  logTail?: LogTail;
  /** Succeeded in an earlier run and reused by a retry from failure. */
  reused?: boolean;
}

/** Limits the API decides per run; the node's task queue comes from its node class. */
export interface DagExecutionPolicy extends Omit<TaskExecutionPolicy, 'taskQueue'> {
  taskQueuePrefix: string;
  /** Continue as new once an execution's history passes this many events (Temporal's hard limit is 51,200). */
  continueAsNewAfterEvents: number;
}

/**
 * Input of `dagWorkflow`. The spec travels as sent (defaults not applied, which keeps a 10,000-task
 * spec under Temporal's 2 MB payload limit) with the defaults to fill in; `carried` holds node
 * states from the previous execution of the same run (continue-as-new) or from the run being retried.
 */
export interface DagWorkflowInput {
  spec: DagSpecInput;
  /** The defaults the run fills in (absent in runs started before they were sent: LEGACY_DAG_DEFAULTS). */
  defaults?: DagDefaults;
  policy: DagExecutionPolicy;
  carried?: { states: PackedStates; executions: number };
}

/** Counts of nodes per status. */
export type StatusCounts = Record<NodeStatus, number>;

/** The end of a DAG run. */
export interface DagResult {
  status: 'succeeded' | 'failed';
  counts: StatusCounts;
  /** Keys of the nodes that failed (continueOnError failures included). */
  failed: string[];
  /** Executions (continue-as-new generations) the run used. */
  executions: number;
}

/** Answer of `dagStateQuery`: counts and a page of node states. */
export interface DagStateView {
  counts: StatusCounts;
  failing: boolean;
  executions: number;
  total: number;
  nodes: Array<{ key: string; task: string } & NodeState>;
}
