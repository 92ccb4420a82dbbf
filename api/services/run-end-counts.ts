/**
 * Runs ended, by kind and status, for Prometheus. Temporal's visibility knows every ended run but forgets it after
 * the namespace's retention, so its counts go down as well as up; this tallies the runs that closed in each new
 * window into PostgreSQL (db/stores/run-end-tally.ts), whose totals only grow and are the same in every API process.
 */
import type { temporal } from '@temporalio/proto';
import {
  advanceRunEndTally,
  readRunEndWatermark,
  runEndTotals,
  type RunEndCounts,
} from '../../db/stores/run-end-tally';
import { RUN_KINDS, kindSearchAttribute } from '../../workflows/definitions';
import { orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import type { ApiDeps } from './deps';
import { STATUS_TO_TEMPORAL } from './run-views';

/**
 * Visibility records a closed run a moment after it closes (an asynchronous queue in the server); a window is
 * counted only once it is this far in the past, so a run whose record arrives late is still in its window.
 */
export const RUN_END_SETTLE_MS = 15_000;

/** Windows shorter than this are not counted yet, which keeps a scrape storm from writing the watermark each time. */
const MIN_WINDOW_MS = 5_000;

// Capstan's status names for Temporal's closed statuses; ContinuedAsNew is not an end (the run goes on).
const CLOSED_STATUSES = new Map(
  Object.entries(STATUS_TO_TEMPORAL)
    .filter(([status]) => status !== 'running' && status !== 'continued_as_new')
    .map(([status, temporalName]) => [temporalName, status]),
);

/** Counts the runs that closed since the watermark (if a window is due), then returns the totals. */
export async function runEndedTotals(deps: ApiDeps, now = Date.now()): Promise<RunEndCounts> {
  const until = new Date(now - RUN_END_SETTLE_MS);
  const from = await readRunEndWatermark(deps.db, until);
  if (until.getTime() - from.getTime() >= MIN_WINDOW_MS) {
    const counts = await closedRunsBetween(deps, from, until);
    await advanceRunEndTally(deps.db, from, until, counts);
  }
  return runEndTotals(deps.db);
}

/** Runs of this deployment (its orchestrator queue) that closed in [from, until), per kind and status. */
async function closedRunsBetween(deps: ApiDeps, from: Date, until: Date): Promise<RunEndCounts> {
  const perKind = await Promise.all(
    RUN_KINDS.map(async (kind) => {
      // SQL visibility (server 1.29) groups counts only by ExecutionStatus, so one call per kind.
      const response = await deps.client.workflowService.countWorkflowExecutions({
        namespace: deps.namespace,
        query:
          `TaskQueue = '${orchestratorTaskQueue(deps.taskQueuePrefix)}' AND ${kindSearchAttribute.name} = '${kind}'` +
          ` AND CloseTime >= '${from.toISOString()}' AND CloseTime < '${until.toISOString()}' GROUP BY ExecutionStatus`,
      });
      return (response.groups ?? []).flatMap((group) => {
        const status = CLOSED_STATUSES.get(groupValue(group));
        return status === undefined ? [] : [{ kind, status, count: Number(group.count ?? 0) }];
      });
    }),
  );
  return perKind.flat();
}

// A group value is a JSON payload holding the status name, e.g. "Completed".
function groupValue(group: temporal.api.workflowservice.v1.CountWorkflowExecutionsResponse.IAggregationGroup): string {
  const data = group.groupValues?.[0]?.data;
  if (!data) return '';
  try {
    return String(JSON.parse(Buffer.from(data).toString('utf8')));
  } catch {
    return '';
  }
}
