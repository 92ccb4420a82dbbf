/** One run in detail: description, live state while it runs, result or failure once it ends. */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { hostTaskQueue, nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import type { TaskResult, TaskState } from '../../workflows/contracts/task-run';
import type { DagResult, DagStateView } from '../../workflows/contracts/dag-run';
import { FailureTypes } from '../../workflows/contracts/failure-types';
import { logTailOf, type LogTail } from '../../workflows/contracts/log-tail';
import { dagStateQuery, taskStateQuery, type RunMemo } from '../../workflows/definitions';
import { hostIsLive } from './host-check';
import type { PipelineRunState } from '../../workflows/contracts/pipeline-run';
import { pipelineStateQuery } from '../../workflows/pipeline/definitions';
import type { StackOperationState } from '../../workflows/contracts/stack-operation';
import { stackStateQuery } from '../../workflows/stack/definitions';
import type { ApiDeps } from './deps';
import { hasLivePoller } from './poller-presence';
import { mark, timed } from '../server-timing';
import { ClosedRunCache } from './closed-runs';
import { RunFlights } from './run-flights';
import { runSummary, type RunSummary } from './run-views';
import { runAttempts } from '../../db/stores/run-attempts';
import { taskStateFromAttempts } from './task-live-state';

/** The activity attempt in flight, as Temporal's description of the run shows it. */
export interface PendingAttempt {
  state: 'scheduled' | 'started' | 'cancel_requested' | 'paused' | 'unknown';
  attempt: number;
  worker?: string;
  lastStartedAt?: string;
  lastHeartbeatAt?: string;
  heartbeat?: unknown;
  lastFailure?: string;
}

/** A run with everything the API knows about it. */
export interface RunDetail extends RunSummary {
  webUiUrl?: string;
  historyLength: number;
  /** Workflow state (absent when no orchestrator answers the query) and the attempts Temporal has in flight. */
  live?: Partial<TaskState> & { pendingAttempts: PendingAttempt[] };
  warnings?: string[];
  result?: TaskResult;
  /** DAG runs: counts and a page of node states. */
  dag?: DagStateView;
  dagResult?: DagResult;
  /** Pipeline runs: every job with its steps, worker, approval and rollback. */
  pipeline?: PipelineRunState;
  /** Stack operations: phase, preview, approval, result or drift; `live.pendingAttempts[].heartbeat` carries engine progress. */
  stack?: StackOperationState;
  failure?: RunFailure;
}

/** Why a run ended without completing; a failed command's last lines ride along so it explains itself. */
export interface RunFailure {
  type?: string;
  message: string;
  details?: unknown;
  /** A failed task run: the last lines of its stderr (stdout when stderr is empty). */
  logTail?: LogTail;
  /** A failed DAG run: its failed tasks among the returned nodes (at most MAX_FAILED_TASKS), each with its tail. */
  tasks?: Array<{ key: string; message?: string; exitCode?: number; logTail?: LogTail }>;
}

/** Most failed DAG tasks a run's failure lists; `dag.nodes` and `dagResult.failed` hold them all. */
const MAX_FAILED_TASKS = 10;

/** Which node states of a DAG run to return. */
export interface NodePage {
  offset: number;
  limit: number;
}

/** How long a live-state query may take before the API answers without it. */
const QUERY_DEADLINE_MS = 3000;

// One cache per app's deps, so two apps in one process (tests) never see each other's runs.
const closedRuns = new WeakMap<ApiDeps, ClosedRunCache>();
const flights = new WeakMap<ApiDeps, RunFlights>();

/**
 * Describes a run; throws WorkflowNotFoundError (→ 404) for an unknown id. An ended run's detail is
 * reused a few seconds, and concurrent reads of one run share one trip to Temporal (run-flights.ts).
 */
export async function getRun(
  deps: ApiDeps,
  runId: string,
  page: NodePage = { offset: 0, limit: 1000 },
): Promise<RunDetail> {
  const cache = closedRuns.get(deps) ?? new ClosedRunCache(deps.caches?.closedRunMs);
  closedRuns.set(deps, cache);
  const shared = flights.get(deps) ?? new RunFlights();
  flights.set(deps, shared);
  const key = `${page.offset}:${page.limit}:${runId}`;
  const kept = cache.get(key);
  if (kept) {
    mark('closed-run', 'hit');
    return kept;
  }
  const read = await shared.read(key, () => describeRun(deps, runId, page));
  if (read.joined) mark('run', 'joined');
  cache.keep(key, read.detail);
  return read.detail;
}

async function describeRun(deps: ApiDeps, runId: string, page: NodePage): Promise<RunDetail> {
  const handle = deps.client.workflow.getHandle(runId);
  const description = await timed('describe', () => handle.describe());
  const detail: RunDetail = {
    ...runSummary(description),
    historyLength: description.historyLength,
    ...(deps.webUiUrl
      ? { webUiUrl: `${deps.webUiUrl}/namespaces/${deps.namespace}/workflows/${encodeURIComponent(runId)}` }
      : {}),
  };
  if (detail.kind === 'pipeline') {
    detail.pipeline = await deps.client.connection
      .withDeadline(Date.now() + QUERY_DEADLINE_MS * 3, () => handle.query(pipelineStateQuery))
      .catch(() => undefined);
    if (detail.status !== 'running' && detail.status !== 'completed') detail.failure = await failureOf(handle);
  } else if (detail.kind === 'stack') {
    // A queued request's result wraps the operation's state; a failed operation still answers the query with its last state.
    const result =
      detail.status === 'completed'
        ? ((await handle.result()) as StackOperationState | { ran: boolean; state?: StackOperationState })
        : undefined;
    detail.stack = result
      ? 'ran' in result
        ? result.state
        : result
      : await deps.client.connection
          .withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(stackStateQuery))
          .catch(() => undefined);
    if (detail.status === 'running')
      detail.live = { pendingAttempts: (description.raw.pendingActivities ?? []).map(pendingAttempt) };
    else if (detail.status !== 'completed') detail.failure = await failureOf(handle);
  } else if (detail.kind === 'dag') {
    const [graph, warnings] = await Promise.all([
      queryDag(deps, handle, page),
      detail.status === 'running' ? poolWarnings(deps, undefined) : [],
    ]);
    if (graph) detail.dag = graph;
    if (warnings.length > 0) detail.warnings = warnings;
    if (detail.status === 'completed') detail.dagResult = await handle.result();
    else if (detail.status !== 'running') detail.failure = withFailedTasks(await failureOf(handle), graph);
  } else if (detail.status === 'running') {
    const pendingAttempts = (description.raw.pendingActivities ?? []).map(pendingAttempt);
    const [state, warnings] = await Promise.all([
      detail.kind === 'task' ? liveTaskState(deps, handle) : timed('query', () => queryState(deps, handle)),
      timed('pollers', () => poolWarnings(deps, detail.nodeClass, (description.memo as Partial<RunMemo>)?.host)),
    ]);
    detail.live = { ...state, pendingAttempts };
    if (warnings.length > 0) detail.warnings = warnings;
  } else if (detail.status === 'completed') {
    detail.result = await timed('result', () => handle.result());
  } else {
    detail.failure = await failureOf(handle);
  }
  return detail;
}

/** Node states of a DAG run (live, or replayed from history once it ended); undefined when no orchestrator answers. */
async function queryDag(deps: ApiDeps, handle: WorkflowHandle, page: NodePage): Promise<DagStateView | undefined> {
  try {
    return await deps.client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS * 3, () =>
      handle.query(dagStateQuery, page),
    );
  } catch {
    return undefined;
  }
}

/**
 * A running task's state from its metered attempts while they determine it, else (after a failed
 * attempt, or when the database cannot be read) from the workflow's query.
 */
async function liveTaskState(deps: ApiDeps, handle: WorkflowHandle): Promise<TaskState | undefined> {
  const attempts = await timed('attempts', () => runAttempts(deps.db, handle.workflowId)).catch(() => undefined);
  const state = attempts === undefined ? undefined : taskStateFromAttempts(attempts);
  return state ?? (await timed('query', () => queryState(deps, handle)));
}

async function queryState(deps: ApiDeps, handle: WorkflowHandle): Promise<TaskState | undefined> {
  try {
    return await deps.client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      handle.query(taskStateQuery),
    );
  } catch {
    return undefined; // no orchestrator worker to answer; poolWarnings says so
  }
}

/** Says when no worker polls the run's node class (on its host, when it names one), or no orchestrator worker runs. */
async function poolWarnings(deps: ApiDeps, nodeClass: string | undefined, host?: string): Promise<string[]> {
  const orchestrator = orchestratorTaskQueue(deps.taskQueuePrefix);
  const classQueue = nodeClass === undefined ? undefined : nodeClassTaskQueue(deps.taskQueuePrefix, nodeClass);
  const queue = classQueue === undefined || host === undefined ? classQueue : hostTaskQueue(classQueue, host);
  // Both asked at once: the answer waits for the slower call, not their sum. A host's worker is asked of the
  // registry, which knows a clean stop at once, where Temporal lists a stopped poller for a minute or more.
  const [orchestratorLive, classLive] = await Promise.all([
    hasLivePoller(deps, orchestrator, 'workflow'),
    queue === undefined
      ? true
      : host === undefined || nodeClass === undefined
        ? hasLivePoller(deps, queue, 'activity')
        : hostIsLive(deps, nodeClass, host),
  ]);
  const warnings: string[] = [];
  if (!orchestratorLive)
    warnings.push(`no orchestrator worker is polling task queue "${orchestrator}"; the run cannot make progress`);
  if (!classLive)
    warnings.push(
      host === undefined
        ? `no worker is polling node class "${nodeClass}" (task queue "${queue}"); the task waits until one starts`
        : `no worker of node class "${nodeClass}" on host "${host}" is polling (task queue "${queue}"); the task waits until it returns`,
    );
  return warnings;
}

function pendingAttempt(info: temporal.api.workflow.v1.IPendingActivityInfo): PendingAttempt {
  const states = temporal.api.enums.v1.PendingActivityState;
  const state =
    info.state === states.PENDING_ACTIVITY_STATE_SCHEDULED
      ? 'scheduled'
      : info.state === states.PENDING_ACTIVITY_STATE_STARTED
        ? 'started'
        : info.state === states.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
          ? 'cancel_requested'
          : info.state === states.PENDING_ACTIVITY_STATE_PAUSED
            ? 'paused'
            : 'unknown';
  const iso = (ts: Parameters<typeof optionalTsToMs>[0]): string | undefined => {
    const ms = optionalTsToMs(ts);
    return ms === undefined ? undefined : new Date(ms).toISOString();
  };
  const heartbeat = info.heartbeatDetails?.payloads?.[0];
  return {
    state,
    attempt: info.attempt ?? 1,
    ...(info.lastWorkerIdentity ? { worker: info.lastWorkerIdentity } : {}),
    ...(iso(info.lastStartedTime) ? { lastStartedAt: iso(info.lastStartedTime) } : {}),
    ...(iso(info.lastHeartbeatTime) ? { lastHeartbeatAt: iso(info.lastHeartbeatTime) } : {}),
    ...(heartbeat ? { heartbeat: defaultPayloadConverter.fromPayload(heartbeat) } : {}),
    ...(info.lastFailure?.message ? { lastFailure: info.lastFailure.message } : {}),
  };
}

async function failureOf(handle: WorkflowHandle): Promise<RunDetail['failure']> {
  try {
    await handle.result();
    return undefined;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
      const { type, message } = err.cause;
      const details: unknown = err.cause.details?.[0];
      const logTail = type === FailureTypes.taskFailed ? commandTail(details) : undefined;
      return { type: type ?? undefined, message, details, ...(logTail ? { logTail } : {}) };
    }
    return {
      message: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
    };
  }
}

/** The tail a task failure carries, or (runs from before tails travelled) one cut from its stdout and stderr. */
function commandTail(details: unknown): LogTail | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const outcome = details as { logTail?: LogTail; stdout?: unknown; stderr?: unknown };
  if (outcome.logTail) return outcome.logTail;
  if (typeof outcome.stdout !== 'string' && typeof outcome.stderr !== 'string') return undefined;
  return logTailOf(details as Parameters<typeof logTailOf>[0]);
}

/** Adds a failed DAG run's failed tasks, with their tails, to its failure. */
function withFailedTasks(failure: RunFailure | undefined, graph: DagStateView | undefined): RunFailure | undefined {
  const failed = graph?.nodes.filter((n) => n.status === 'failed').slice(0, MAX_FAILED_TASKS) ?? [];
  if (failure === undefined || failed.length === 0) return failure;
  return {
    ...failure,
    tasks: failed.map((n) => ({
      key: n.key,
      ...(n.message ? { message: n.message } : {}),
      ...(n.exitCode === undefined ? {} : { exitCode: n.exitCode }),
      ...(n.logTail ? { logTail: n.logTail } : {}),
    })),
  };
}
