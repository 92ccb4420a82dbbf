/**
 * How many more tasks an execution of a DAG run may have in flight before it must drain and continue
 * as new, so that no execution passes its event limit (Capstan's `continueAsNewAfterEvents`, 10,000 by
 * default, under the 10,240 events a large run is held to) or HISTORY_BYTES_BUDGET of history. Pure.
 */

/**
 * Upper bound of the events one task adds once dispatched: activity scheduled, started and closed
 * (retries are the server's and add none), a cancel request when failing fast, and its own workflow task.
 */
export const EVENTS_PER_TASK = 7;

/** Events kept for the end of an execution: the last workflow task, patch markers and the continue-as-new. */
export const RESERVED_EVENTS = 20;

/** History bytes an execution stays under (Temporal warns at 10 MB and fails at 50 MB). */
export const HISTORY_BYTES_BUDGET = 8 * 1024 * 1024;

/** Bound of the history bytes one task adds (its events with a task spec, a result and a few inline outputs). */
export const BYTES_PER_TASK = 4096;

/** Where an execution's history stands, as workflowInfo() reports it. */
export interface HistoryUse {
  events: number;
  bytes: number;
}

/**
 * Tasks that may still start: what fits in the events and bytes left, less those running. At most 0
 * means drain: start nothing, and continue as new once nothing runs.
 */
export function taskRoom(use: HistoryUse, maxEvents: number, running: number): number {
  const byEvents = Math.floor((maxEvents - RESERVED_EVENTS - use.events) / EVENTS_PER_TASK);
  const byBytes = Math.floor((HISTORY_BYTES_BUDGET - use.bytes) / BYTES_PER_TASK);
  return Math.min(byEvents, byBytes) - running;
}
