/**
 * The Temporal Schedule of a repository's pipeline (`<prefix>-pipeline-<repository>`): it mirrors
 * the `on.schedule` of the valid pipeline file at the head of the default branch. Set when the
 * repository is registered and on each push to its default branch, deleted when the file is gone,
 * has no schedule or is not valid, and when the repository is removed.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { createHash } from 'node:crypto';
import type { Logger } from '../../config/logger';
import type { RepositoryRecord } from '../../db/stores/repository-store';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import type { PipelineScheduleMemo, ScheduledPipelineInput } from '../../workflows/contracts/scheduled-pipeline';
import { orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import { ApiError } from '../errors';
import { temporalCrons } from '../pipelines/cron';
import { parsePipelineYaml, PipelineSpecError } from '../pipelines/parse-pipeline';
import { matrixLimitsOf } from '../pipelines/check-matrix';
import { readPipelineFile } from '../pipelines/read-pipeline-file';
import { remoteDefaultHead } from '../../toolchain/git-remote';
import type { ApiDeps } from './deps';

/** The schedule's id: one per repository and task-queue prefix. */
export function pipelineScheduleId(prefix: string, repository: string): string {
  return `${prefix}-pipeline-${repository}`;
}

/** The pipeline file at a commit of the default branch: its text and spec, or why there is none to schedule. */
export type DefaultBranchPipeline =
  { kind: 'valid'; text: string; spec: PipelineSpec } | { kind: 'none'; reason: string };

/** What a sync did, for the answer and the log. */
export interface ScheduleSync {
  scheduleId: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent';
  crons?: string[];
  reason?: string;
}

/** Digest of a pipeline file's text: what the scheduled start compares the file at the head with. */
export function pipelineDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Brings the repository's schedule in line with `pipeline` as found at `sha` of the default branch `branch`. */
export async function syncPipelineSchedule(
  deps: ApiDeps,
  repository: RepositoryRecord,
  at: { branch: string; sha: string },
  pipeline: DefaultBranchPipeline,
): Promise<ScheduleSync> {
  const scheduleId = pipelineScheduleId(deps.taskQueuePrefix, repository.name);
  if (pipeline.kind === 'none' || !pipeline.spec.on.schedule) {
    const reason = pipeline.kind === 'none' ? pipeline.reason : `${repository.pipelinePath} has no on.schedule`;
    return { scheduleId, ...(await deletePipelineSchedule(deps, repository.name)), reason };
  }
  const { spec, text } = pipeline;
  const crons = spec.on.schedule!.map((entry) => entry.cron.trim());
  const digest = pipelineDigest(text);
  // The memo holds what never changes for the schedule; what a push changes lives in the action and the note.
  const memo: PipelineScheduleMemo = { repository: repository.name, pipelinePath: repository.pipelinePath };
  const args: [ScheduledPipelineInput] = [
    {
      repository: repository.name,
      cloneUrl: repository.cloneUrl,
      pipelinePath: repository.pipelinePath,
      digest,
      spec,
      policy: { ...deps.taskPolicy, taskQueuePrefix: deps.taskQueuePrefix, pulumiNodeClass: deps.pulumiNodeClass },
    },
  ];
  const body = {
    // GitHub's crons are UTC, as Temporal's are unless a time zone is named.
    spec: { cronExpressions: crons.flatMap(temporalCrons) },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'scheduledPipelineWorkflow',
      taskQueue: orchestratorTaskQueue(deps.taskQueuePrefix),
      workflowId: scheduleId,
      args,
      staticSummary: `scheduled start of pipeline ${spec.name} of ${repository.name}`,
    },
    // The started workflow only starts the run, so skipping an overlap loses nothing; an outage of over an hour is not caught up.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' as const },
  };
  const note = `cron: ${crons.join('; ')} (from ${repository.pipelinePath} at ${at.branch} ${at.sha.slice(0, 12)})`;
  const handle = deps.client.schedule.getHandle(scheduleId);
  try {
    await deps.client.schedule.create({ scheduleId, ...body, memo: { ...memo }, state: { note } });
    return { scheduleId, outcome: 'created', crons };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const current = (await handle.describe()).action;
  const currentArgs =
    current.type === 'startWorkflow' ? (current.args as ScheduledPipelineInput[] | undefined) : undefined;
  if (currentArgs?.[0]?.digest === digest) return { scheduleId, outcome: 'unchanged', crons };
  await handle.update((previous) => ({ ...previous, ...body, state: { ...previous.state, note } }));
  return { scheduleId, outcome: 'updated', crons };
}

/** Deletes the repository's schedule; `absent` when there was none. */
export async function deletePipelineSchedule(
  deps: ApiDeps,
  repository: string,
): Promise<{ outcome: 'deleted' | 'absent' }> {
  try {
    await deps.client.schedule.getHandle(pipelineScheduleId(deps.taskQueuePrefix, repository)).delete();
    return { outcome: 'deleted' };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { outcome: 'absent' };
    throw err;
  }
}

/** The pipeline file at `sha`, parsed: `none` when the commit has no file or the file is not valid (its issues in the reason). */
export async function pipelineForSchedule(
  deps: ApiDeps,
  repository: RepositoryRecord,
  sha: string,
): Promise<DefaultBranchPipeline> {
  let text: string;
  try {
    text = await readPipelineFile(repository.cloneUrl, sha, repository.pipelinePath);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'pipeline_not_found')
      return { kind: 'none', reason: `${repository.pipelinePath} does not exist at ${sha.slice(0, 12)}` };
    throw err;
  }
  try {
    return {
      kind: 'valid',
      text,
      spec: parsePipelineYaml(text, repository.pipelinePath, deps.nodeClasses, matrixLimitsOf(deps.dagLimits)),
    };
  } catch (err) {
    if (err instanceof PipelineSpecError)
      return { kind: 'none', reason: `${repository.pipelinePath} is not valid: ${err.message}` };
    throw err;
  }
}

/**
 * At registration: the schedule from the default branch's head, read with `git ls-remote`. A
 * repository that cannot be read now is still registered; its first push to the default branch sets
 * the schedule, and the answer says why none was set.
 */
export async function scheduleAtRegistration(
  deps: ApiDeps,
  repository: RepositoryRecord,
  logger: Logger,
): Promise<ScheduleSync> {
  const scheduleId = pipelineScheduleId(deps.taskQueuePrefix, repository.name);
  let head: { branch: string; sha: string } | undefined;
  let pipeline: DefaultBranchPipeline;
  try {
    head = await remoteDefaultHead(repository.cloneUrl);
    if (!head) return { scheduleId, outcome: 'absent', reason: 'the repository has no default branch yet' };
    pipeline = await pipelineForSchedule(deps, repository, head.sha);
  } catch (err) {
    const reason = `the repository could not be read: ${err instanceof ApiError ? err.message : firstLine(err)}`;
    logger.warn({ repository: repository.name, err }, 'pipeline schedule not set at registration');
    return { scheduleId, outcome: 'absent', reason };
  }
  try {
    return await syncPipelineSchedule(deps, repository, head, pipeline);
  } catch (err) {
    // The repository is registered either way; its next push to the default branch tries again.
    logger.error({ repository: repository.name, err }, 'pipeline schedule not set at registration');
    return { scheduleId, outcome: 'absent', reason: `the schedule could not be set: ${(err as Error).message}` };
  }
}

function firstLine(err: unknown): string {
  const text = (err as { stderr?: string }).stderr || (err as Error).message;
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}
