/**
 * The activity a scheduled pipeline starts with: the default branch's head of the repository (what
 * its HEAD points at, by `git ls-remote`), a check that the pipeline file there is the one the
 * schedule was set from, and the run's row in `runs`, written before the run exists.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { recordRun } from '../../db/stores/run-store';
import { fileAtCommit, remoteDefaultHead } from '../../toolchain/git-remote';
import { pipelineRunLabels } from '../../workflows/contracts/pipeline-labels';
import {
  SCHEDULED_PIPELINE_CHANGED,
  type PrepareScheduledRunInput,
  type ScheduledHead,
} from '../../workflows/contracts/scheduled-pipeline';

/** What the schedule activity needs: Capstan's database, for the run's row. */
export interface ScheduleActivityDeps {
  db: Pool;
}

/** Builds the activities of scheduled pipelines over `deps`. */
export function createScheduleActivities(deps: ScheduleActivityDeps) {
  return {
    /** Reads the default branch's head, checks its pipeline file against the schedule's, and records the run about to start. */
    async prepareScheduledRun(input: PrepareScheduledRunInput): Promise<ScheduledHead> {
      const head = await remoteDefaultHead(input.cloneUrl);
      if (!head) throw new Error(`${input.cloneUrl} has no default branch (git ls-remote --symref HEAD named none)`);
      const text = await fileAtCommit(input.cloneUrl, head.sha, input.pipelinePath);
      const digest = text === undefined ? undefined : createHash('sha256').update(text).digest('hex');
      if (digest !== input.digest) {
        // A push Capstan did not receive changed or removed the file: running the old spec on new code would lie.
        throw ApplicationFailure.create({
          type: SCHEDULED_PIPELINE_CHANGED,
          nonRetryable: true,
          message: `${input.pipelinePath} at ${head.branch} ${head.sha.slice(0, 12)} is ${text === undefined ? 'gone' : 'not the file the schedule was set from'}; the next push to ${head.branch} (or registering the repository again) sets the schedule from it`,
        });
      }
      const trigger = {
        event: 'schedule' as const,
        repository: input.repository,
        cloneUrl: input.cloneUrl,
        ...head,
        triggeredBy: input.startedBy,
      };
      await recordRun(deps.db, {
        runId: input.runId,
        kind: 'pipeline',
        name: input.name,
        labels: pipelineRunLabels(trigger),
        startedBy: input.startedBy,
      });
      return head;
    },
  };
}
