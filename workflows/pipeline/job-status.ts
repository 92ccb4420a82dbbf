/** Commit statuses per job: context `capstan/<pipeline>/<job>`, pending when the job starts, its verdict when it ends. */
import { CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { createForgeActivities } from '../../activities/forge';
import type { CommitState } from '../../activities/forge/status-request';
import type { JobRecord } from '../contracts/pipeline-run';
import { nodeClassTaskQueue } from '../contracts/node-class';
import type { JobUnit } from './matrix';
import type { JobContext } from './run-job';

/** Sends one job's commit status (described by `why`, else by its record); never throws, and records the outcome on the job's record. */
export type JobStatusReport = (unit: JobUnit, record: JobRecord, state: CommitState, why?: string) => Promise<void>;

/**
 * A reporter whose activities run on `nodeClass` (any class with workers will do: the forge is
 * reached over HTTP). Reports are not cancellable: a cancelled job must still tell the forge so.
 */
export function jobStatusReporter(ctx: JobContext, nodeClass: string): JobStatusReport {
  const { reportCommitStatus } = proxyActivities<ReturnType<typeof createForgeActivities>>({
    taskQueue: nodeClassTaskQueue(ctx.policy.taskQueuePrefix, nodeClass),
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 5, initialInterval: '2s' },
  });
  return (unit, record, state, why) =>
    CancellationScope.nonCancellable(async () => {
      const description = why ?? (state === 'pending' ? `running on ${unit.spec['runs-on']}` : verdict(record));
      try {
        const result = await reportCommitStatus.executeWithOptions(
          { summary: `commit status of ${unit.id}: ${state}` },
          [
            {
              repository: ctx.trigger.repository,
              sha: ctx.trigger.sha,
              state,
              context: `capstan/${ctx.spec.name}/${unit.statusName}`,
              description: `${description} (${ctx.runId})`,
            },
          ],
        );
        record.commitStatus = result.reported
          ? `reported ${state}`
          : `not reported: ${result.reason ?? 'no status endpoint'}`;
      } catch (err) {
        record.commitStatus = `reporting ${state} failed: ${(err as Error).message}`;
      }
    });
}

function verdict(record: JobRecord): string {
  return record.message ? `${record.status}: ${record.message}` : record.status;
}
