/** What each execution (continue-as-new generation) of a DAG run used: history length and bytes, and troubled workflow tasks. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { since } from './stats';

const EventType = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

/** One execution as describeWorkflowExecution and its history report it. */
export interface ExecutionSize {
  runId: string;
  status: string;
  events: number;
  bytes: number;
  /** The execution's input (its first event's payload: spec, defaults, policy, carried states), in bytes. */
  inputBytes?: number;
  /** The largest payload of any event read (input, activity input or result, the continue-as-new command's input). */
  largestPayloadBytes?: number;
  /** Workflow tasks that timed out or failed (0 and 0 on a healthy run), their causes (`CAUSE xN, ...`), and the longest one in ms. */
  wft?: { timedOut: number; failed: number; causes: string; maxMs: number };
  /** Why `wft` is missing: reading the history failed. */
  historyError?: string;
}

/** A protobuf int64 (number or Long) as a number. */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function')
    return (v as { toNumber(): number }).toNumber();
  return Number.NaN;
}

function enumName(names: Record<number, string>, value: number | null | undefined, prefix: string): string {
  return value === null || value === undefined ? '?' : (names[value]?.replace(prefix, '') ?? String(value));
}

/** Bytes of the largest payload list an event carries (its input, result or details). */
function payloadBytes(e: Event): number {
  const lists = [
    e.workflowExecutionStartedEventAttributes?.input,
    e.activityTaskScheduledEventAttributes?.input,
    e.activityTaskCompletedEventAttributes?.result,
    e.workflowExecutionContinuedAsNewEventAttributes?.input,
    e.workflowExecutionCompletedEventAttributes?.result,
  ];
  let largest = 0;
  for (const list of lists) {
    const size = (list?.payloads ?? []).reduce((sum, p) => sum + (p.data?.length ?? 0), 0);
    largest = Math.max(largest, size);
  }
  return largest;
}

function eventMs(e: Event): number {
  return toNumber(e.eventTime?.seconds) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
}

/**
 * Reads a history in small pages (a page holding the MB-sized start input plus many events can pass
 * the client's 4 MB message limit) and tallies its workflow tasks.
 */
async function workflowTasks(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<NonNullable<ExecutionSize['wft']> & { inputBytes: number; largestPayloadBytes: number }> {
  const out = { timedOut: 0, failed: 0, causes: '', maxMs: 0, inputBytes: 0, largestPayloadBytes: 0 };
  const causes = new Map<string, number>();
  let started = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 200,
      nextPageToken,
    });
    for (const e of page.history?.events ?? []) {
      const payloads = payloadBytes(e);
      out.largestPayloadBytes = Math.max(out.largestPayloadBytes, payloads);
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) out.inputBytes = payloads;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) started = eventMs(e);
      if (
        e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED ||
        e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED ||
        e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
      )
        out.maxMs = Math.max(out.maxMs, eventMs(e) - started);
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) out.timedOut++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
        out.failed++;
        const cause = enumName(
          temporal.api.enums.v1.WorkflowTaskFailedCause,
          e.workflowTaskFailedEventAttributes?.cause,
          'WORKFLOW_TASK_FAILED_CAUSE_',
        );
        causes.set(cause, (causes.get(cause) ?? 0) + 1);
      }
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  out.causes = [...causes].map(([name, n]) => `${name} x${n}`).join(', ');
  return out;
}

/**
 * Every execution of a run, oldest first. Visibility lags the run, so the listing is retried until
 * it holds `expected` executions or 15 s pass.
 */
export async function executionSizes(client: Client, workflowId: string, expected: number): Promise<ExecutionSize[]> {
  let listed: Array<{ runId: string; startTime: Date }> = [];
  for (const t0 = performance.now(); ;) {
    listed = [];
    for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      listed.push({ runId: info.runId, startTime: info.startTime });
    if (listed.length >= expected || since(t0) > 15_000) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  listed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  const sizes: ExecutionSize[] = [];
  for (const { runId } of listed) {
    const res = await client.workflowService.describeWorkflowExecution({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
    });
    const info = res.workflowExecutionInfo;
    const size: ExecutionSize = {
      runId,
      status: enumName(temporal.api.enums.v1.WorkflowExecutionStatus, info?.status, 'WORKFLOW_EXECUTION_STATUS_'),
      events: toNumber(info?.historyLength),
      bytes: toNumber(info?.historySizeBytes),
    };
    try {
      const { inputBytes, largestPayloadBytes, ...wft } = await workflowTasks(client, workflowId, runId);
      size.wft = wft;
      size.inputBytes = inputBytes;
      size.largestPayloadBytes = largestPayloadBytes;
    } catch (err) {
      size.historyError = err instanceof Error ? err.message : String(err);
    }
    sizes.push(size);
  }
  return sizes;
}
