/**
 * Where alert rules read their figures: Temporal (task-queue statistics and pollers, closed runs in
 * visibility) through the running activity's own client, and Capstan's database (worker reports, stacks).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { describeTaskQueue } from '../../config/task-queues';
import { listDriftedStacks } from '../../db/stores/drifted-stacks';
import { openAttempts, type OpenAttempts } from '../../db/stores/open-attempts';
import { listKnownWorkers } from '../../db/stores/worker-reports';
import type { AlertRule } from '../../workflows/contracts/alert-rules';
import { nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import type { QueueFigures, RuleFigures } from './judge';

/** What the figures of every kind of rule are read from; tests may give their own. */
export interface AlertSources {
  figures(rule: AlertRule, nodeClasses: readonly string[]): Promise<RuleFigures>;
}

/** What the Temporal and database sources need. */
export interface AlertSourceDeps {
  db: Pool;
  taskQueuePrefix: string;
  pollerLivenessSeconds: number;
  /** The client and namespace to ask Temporal with; default: the running activity's. */
  temporal?: { client: Client; namespace: string };
}

// A run's status in visibility: failures, and every end that counts (cancelled and terminated runs were ended by people).
const FAILED = "('Failed', 'TimedOut')";
const ENDED = "('Completed', 'Failed', 'TimedOut')";

/** How recently a running attempt's metering row must have been refreshed (every 15 s) to show its worker alive. */
const BUSY_FRESH_SECONDS = 45;

/** Sources over Temporal and the database; queue figures are read once per class per evaluation. */
export function temporalAlertSources(deps: AlertSourceDeps): AlertSources {
  const temporal = deps.temporal ?? {
    client: Context.current().client,
    namespace: Context.current().info.namespace,
  };
  const queues = new Map<string, Promise<QueueFigures>>();
  // A worker whose slots are all busy does not poll, so Temporal soon shows it stale; its metering rows, refreshed
  // every 15 s while attempts run, show it alive. Read once per evaluation, and only if a queue rule asks.
  let running: Promise<OpenAttempts[]> | undefined;
  const busyWorkers = async (nodeClass: string): Promise<string[]> => {
    running ??= openAttempts(deps.db, Math.max(deps.pollerLivenessSeconds, BUSY_FRESH_SECONDS));
    return (await running).filter((a) => a.nodeClass === nodeClass).map((a) => a.worker);
  };
  const queue = (nodeClass: string): Promise<QueueFigures> => {
    let figures = queues.get(nodeClass);
    if (!figures) {
      figures = describeTaskQueue(temporal.client.workflowService, {
        namespace: temporal.namespace,
        taskQueue: nodeClassTaskQueue(deps.taskQueuePrefix, nodeClass),
        kind: 'activity',
        stats: true,
        livenessSeconds: deps.pollerLivenessSeconds,
      }).then(async ({ pollers, backlog }) => {
        if (!backlog) throw new Error('the Temporal server reports no task-queue statistics');
        const live = new Set([
          ...pollers.filter((p) => p.live).map((p) => p.identity),
          ...(await busyWorkers(nodeClass)),
        ]);
        return {
          nodeClass,
          tasks: backlog.tasks,
          oldestWaitSeconds: backlog.oldestWaitSeconds,
          liveWorkers: live.size,
        };
      });
      queues.set(nodeClass, figures);
    }
    return figures;
  };
  const countRuns = async (query: string) => (await temporal.client.workflow.count(query)).count;
  return {
    async figures(rule, nodeClasses) {
      switch (rule.kind) {
        case 'no-live-worker':
        case 'oldest-wait': {
          const classes = rule.nodeClass === undefined ? nodeClasses : [rule.nodeClass];
          return { kind: 'queues', queues: await Promise.all(classes.map(queue)) };
        }
        case 'worker-usage': {
          const known = await listKnownWorkers(deps.db, rule.staleAfterSeconds * 1000, rule.nodeClass);
          // A lost worker is judged on its last report: a worker that died of a full disk must not read as resolved.
          // One that stopped cleanly is gone, and its alerts resolve.
          return { kind: 'workers', workers: known.filter((w) => w.state !== 'stopped') };
        }
        case 'failure-rate': {
          const since = new Date(Date.now() - rule.windowSeconds * 1000).toISOString();
          // The schema keeps quotes and backslashes out of runName, so it cannot leave its string literal.
          const base = `TaskQueue = '${orchestratorTaskQueue(deps.taskQueuePrefix)}' AND CapstanKind = '${rule.runKind}' AND CapstanName = '${rule.runName}' AND CloseTime >= '${since}'`;
          const [ended, failed] = await Promise.all([
            countRuns(`${base} AND ExecutionStatus IN ${ENDED}`),
            countRuns(`${base} AND ExecutionStatus IN ${FAILED}`),
          ]);
          return { kind: 'runs', ended, failed };
        }
        case 'stack-drift':
          return { kind: 'stacks', stacks: await listDriftedStacks(deps.db, rule) };
      }
    },
  };
}
