/** `run --follow --logs`: each task's whole log under a header once it has finished, streamed rather than held. */
import { ApiCallError, type ApiTarget } from './api-client';
import type { ProgressEvent } from './progress-printer';
import { followLog } from './task-log';

/** Node and run statuses after which a task's log is complete. */
const FINISHED = new Set(['succeeded', 'completed', 'failed']);

/** Returns a function that prints the logs of the tasks a progress event reports finished, each once. */
export function finishedLogPrinter(
  api: ApiTarget,
  runId: string,
  kind: 'dag' | 'task',
): (event: ProgressEvent) => Promise<void> {
  const printed = new Set<string>();
  const id = encodeURIComponent(runId);
  const isTask = kind === 'task';
  return async (event) => {
    for (const change of event.changes) {
      // A single task run reports itself under the run id; so does a DAG whose node states the API could not read.
      if (!isTask && change.key === runId) continue;
      if (!FINISHED.has(change.status) || change.reused || printed.has(change.key)) continue;
      printed.add(change.key);
      const exitCode = change.exitCode ?? (isTask ? event.failure?.details?.exitCode : undefined);
      const ending = exitCode !== undefined ? `exit ${exitCode}` : change.status;
      const path = isTask ? `/v1/runs/${id}/log` : `/v1/runs/${id}/tasks/${encodeURIComponent(change.key)}/log`;
      try {
        // Followed, not read whole: the worker may still be writing the last lines as the task is reported done.
        const end = await followLog(api, `${path}?follow=true`, (info) => {
          console.log(`── ${change.key} (attempt ${info.attempt ?? '?'}, ${ending}) ──`);
        });
        if (end.state === 'lost') console.error(`capstan: the log of ${change.key} stopped short: its worker was lost`);
        if (end.state === 'no_log')
          console.log(`── ${change.key} (${ending}; no log: ${end.message ?? 'none kept'}) ──`);
      } catch (err) {
        if (!(err instanceof ApiCallError) || err.status === 0) throw err;
        console.log(`── ${change.key} (${ending}; no log: ${err.message}) ──`);
      }
    }
  };
}
