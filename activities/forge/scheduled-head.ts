/**
 * The activity a scheduled pipeline starts with: the default branch's head of the repository (what
 * its HEAD points at, by `git ls-remote`), a check that the pipeline file there is the one the
 * schedule was set from, and the run's row in `runs`, written before the run exists.
 */
import { ApplicationFailure } from '@temporalio/common';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import { recordRun } from '../../db/stores/run-store';
import { pipelineRunLabels } from '../../workflows/contracts/pipeline-labels';
import {
  SCHEDULED_PIPELINE_CHANGED,
  type PrepareScheduledRunInput,
  type ScheduledHead,
} from '../../workflows/contracts/scheduled-pipeline';

const run = promisify(execFile);

/** What the schedule activity needs: Capstan's database, for the run's row. */
export interface ScheduleActivityDeps {
  db: Pool;
}

/** Builds the activities of scheduled pipelines over `deps`. */
export function createScheduleActivities(deps: ScheduleActivityDeps) {
  return {
    /** Reads the default branch's head, checks its pipeline file against the schedule's, and records the run about to start. */
    async prepareScheduledRun(input: PrepareScheduledRunInput): Promise<ScheduledHead> {
      const head = await readHead(input.cloneUrl);
      const text = await fileAt(input.cloneUrl, head.sha, input.pipelinePath);
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

async function readHead(cloneUrl: string): Promise<ScheduledHead> {
  const { stdout } = await run('git', ['ls-remote', '--symref', cloneUrl, 'HEAD'], { env: gitEnv(), timeout: 60_000 });
  const branch = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(stdout)?.[1];
  const sha = /^([0-9a-f]{40}(?:[0-9a-f]{24})?)\tHEAD$/m.exec(stdout)?.[1];
  if (!branch || !sha)
    throw new Error(`${cloneUrl} has no default branch (git ls-remote --symref HEAD answered nothing)`);
  return { branch, sha };
}

/** The file's text at the commit, or undefined when the commit has no such file. */
async function fileAt(cloneUrl: string, sha: string, path: string): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-scheduled-'));
  const git = (...args: string[]) =>
    run('git', ['-C', dir, ...args], { maxBuffer: 8 * 1024 * 1024, env: gitEnv(), timeout: 60_000 });
  try {
    await git('init', '--quiet', '--bare');
    await git('fetch', '--quiet', '--depth=1', cloneUrl, sha);
    return await git('show', `${sha}:${path}`).then(
      (r) => r.stdout,
      () => undefined,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0' };
}
