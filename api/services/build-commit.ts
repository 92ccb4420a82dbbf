/**
 * A verified delivery that asks for a build: the pipeline at the commit, the schedule of a push to the
 * default branch, the trigger filters (branches, tags, and paths from the changed files), and the run.
 */
import type { Logger } from '../../config/logger';
import { actAs, type Principal } from '../auth/principal';
import { ApiError } from '../errors';
import { parsePipelineYaml, PipelineSpecError } from '../pipelines/parse-pipeline';
import { matrixLimitsOf } from '../pipelines/check-matrix';
import { readPipelineFile } from '../pipelines/read-pipeline-file';
import type { RepositoryRecord } from '../../db/stores/repository-store';
import { matchTrigger, needsChangedFiles } from '../pipelines/triggers';
import { changedFiles, type ChangeBase } from '../pipelines/repository-git';
import { remoteDefaultHead } from '../../toolchain/git-remote';
import { isZeroSha, type ForgeEvent, type ForgeWebhook } from '../pipelines/webhook-events';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import type { ApiDeps } from './deps';
import { startPipeline } from './start-pipeline';
import { syncPipelineSchedule, type DefaultBranchPipeline, type ScheduleSync } from './pipeline-schedules';
import type { WebhookAnswer } from './receive-webhook';

/** A verified delivery that asks for a build. */
export interface BuildRequest {
  forge: ForgeWebhook;
  repository: RepositoryRecord;
  event: Extract<ForgeEvent, { kind: 'build' }>;
  deliveryId: string;
  principal: Principal;
}

/**
 * Starts the pipeline at the commit when it has one whose triggers match; otherwise says why not. A
 * push to the default branch first brings the pipeline's schedule in line with the file it pushed.
 */
export async function buildCommit(deps: ApiDeps, logger: Logger, request: BuildRequest): Promise<WebhookAnswer> {
  const { forge, repository, event, deliveryId, principal } = request;
  const build = {
    event: event.event,
    repository: repository.name,
    sha: event.sha,
    branch: event.branch,
    ...(event.tag !== undefined ? { tag: event.tag } : {}),
  };
  const found = await pipelineAt(deps, repository, event.sha);
  const defaults = lazyDefaultBranch(repository, event);
  const schedule =
    event.event === 'push' && event.tag === undefined && event.branch === (await defaults())
      ? await syncPipelineSchedule(deps, repository, { branch: event.branch, sha: event.sha }, scheduled(found))
      : undefined;
  // A repository without a schedule, which had none, hears nothing of schedules.
  const answered = {
    ...build,
    ...(schedule && schedule.outcome !== 'absent' ? { schedule: scheduleAnswer(schedule) } : {}),
  };
  if (found.kind === 'invalid') throw found.error;
  if (found.kind === 'missing') {
    const reason = `commit ${event.sha} has no pipeline file at ${repository.pipelinePath}`;
    return { status: 202, body: { started: false, reason, ...answered } };
  }
  const spec = found.spec;
  const filterEvent = { event: event.event, branch: event.filterBranch, tag: event.tag };
  const changed = needsChangedFiles(spec, filterEvent)
    ? await changesOf(repository, event, defaults, logger)
    : undefined;
  const match = matchTrigger(spec, { ...filterEvent, changedFiles: changed });
  if (!match.matched) return { status: 202, body: { started: false, reason: match.reason, ...answered } };
  const trigger = {
    ...build,
    branch: event.branch,
    cloneUrl: repository.cloneUrl,
    deliveryId,
    triggeredBy: event.triggeredBy,
  };
  // The delivery id is the idempotency key: a redelivery finds the run the first delivery started.
  const idempotencyKey = `webhook:${forge.provider}:${deliveryId}`;
  const started = await actAs(principal, () => startPipeline(deps, spec, trigger, idempotencyKey));
  const links = { self: `/v1/runs/${encodeURIComponent(started.runId)}` };
  return {
    status: 202,
    runId: started.runId,
    replayed: !started.created,
    body: { started: true, runId: started.runId, created: started.created, ...answered, links },
  };
}

type BuildEvent = Extract<ForgeEvent, { kind: 'build' }>;

/** The repository's default branch, from the payload when it says, else asked of the remote once (and only when needed). */
function lazyDefaultBranch(repository: RepositoryRecord, event: BuildEvent): () => Promise<string | undefined> {
  let branch: Promise<string | undefined> | undefined;
  return () =>
    (branch ??=
      event.defaultBranch !== undefined
        ? Promise.resolve(event.defaultBranch)
        : remoteDefaultHead(repository.cloneUrl).then(
            (head) => head?.branch,
            () => undefined,
          ));
}

/**
 * The files the push or pull request changed, read with git; undefined (so path filters let it
 * through, and the log says why) when git cannot tell.
 */
async function changesOf(
  repository: RepositoryRecord,
  event: BuildEvent,
  defaults: () => Promise<string | undefined>,
  logger: Logger,
): Promise<string[] | undefined> {
  const base: ChangeBase =
    event.event === 'pull_request'
      ? { baseRef: `refs/heads/${event.filterBranch}` }
      : event.before !== undefined && !isZeroSha(event.before)
        ? { before: event.before }
        : { baseRef: `refs/heads/${(await defaults()) ?? event.branch}` };
  try {
    return await changedFiles(repository.cloneUrl, event.sha, base);
  } catch (err) {
    logger.warn(
      { repository: repository.name, sha: event.sha, err },
      'changed files unknown; path filters not applied',
    );
    return undefined;
  }
}

function scheduled(found: FoundPipeline): DefaultBranchPipeline {
  if (found.kind === 'valid') return { kind: 'valid', spec: found.spec, text: found.text };
  return { kind: 'none', reason: found.kind === 'missing' ? 'no pipeline file' : 'the pipeline file is not valid' };
}

function scheduleAnswer(sync: ScheduleSync): Record<string, unknown> {
  return {
    id: sync.scheduleId,
    outcome: sync.outcome,
    ...(sync.crons ? { crons: sync.crons } : {}),
    ...(sync.reason ? { reason: sync.reason } : {}),
  };
}

/** The pipeline file at a commit: missing, valid (with its text), or not valid (the 422 to answer). */
type FoundPipeline =
  | { kind: 'missing' }
  | { kind: 'valid'; spec: PipelineSpec; text: string }
  | { kind: 'invalid'; error: PipelineSpecError };

/**
 * The pipeline at the pushed commit; missing when the commit has none, as a repository without
 * workflows runs no Actions. A broken one is the repository's problem, not the delivery's: 422.
 */
async function pipelineAt(deps: ApiDeps, repository: RepositoryRecord, sha: string): Promise<FoundPipeline> {
  const text = await readPipelineFile(repository.cloneUrl, sha, repository.pipelinePath).catch((err: unknown) => {
    if (err instanceof ApiError && err.code === 'pipeline_not_found') return undefined;
    throw err;
  });
  if (text === undefined) return { kind: 'missing' };
  try {
    return {
      kind: 'valid',
      spec: parsePipelineYaml(text, repository.pipelinePath, deps.nodeClasses, matrixLimitsOf(deps.dagLimits)),
      text,
    };
  } catch (err) {
    if (err instanceof PipelineSpecError)
      return { kind: 'invalid', error: new PipelineSpecError(err.source, err.issues, 422, 'invalid_pipeline') };
    throw err;
  }
}
