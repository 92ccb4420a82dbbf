/**
 * A forge's delivery, from raw bytes to an answer: decode the payload, verify the sender, then
 * answer a ping, say why nothing starts, or start the repository's pipeline at the pushed commit.
 */
import type { Logger } from '../../config/logger';
import { actAs, type Principal } from '../auth/principal';
import { ApiError } from '../errors';
import { parsePipelineYaml, PipelineSpecError } from '../pipelines/parse-pipeline';
import { readPipelineFile } from '../pipelines/read-pipeline-file';
import type { RepositoryRecord } from '../../db/stores/repository-store';
import { matchTrigger, needsChangedFiles } from '../pipelines/triggers';
import { changedFiles, defaultHead, type ChangeBase } from '../pipelines/repository-git';
import { decodeWebhookBody } from '../pipelines/webhook-body';
import { isZeroSha, type ForgeEvent, type ForgeWebhook } from '../pipelines/webhook-events';
import { IdempotencyKeySchema } from '../schemas';
import { parseOr400 } from '../validate';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import type { ApiDeps } from './deps';
import { startPipeline } from './start-pipeline';
import { syncPipelineSchedule, type DefaultBranchPipeline, type ScheduleSync } from './pipeline-schedules';
import { verifyWebhookSender, type VerifiedSender } from './verify-webhook-sender';

/** A delivery as received: the bytes, the content type they were accepted as, and the headers. */
export interface WebhookDelivery {
  rawBody: Buffer;
  /** One of the forge's `mediaTypes`. */
  mediaType: string;
  header(name: string): string | undefined;
  /** The request's own id, standing in for a delivery id the forge did not send. */
  requestId: string;
}

/** A verified delivery, known before anything is started: who sent it, as what, and what it is about. */
export interface VerifiedDelivery {
  principal: Principal;
  /** `webhook.push`, `webhook.pull_request`, `webhook.ping` or `webhook.other`. */
  action: string;
  /** The forge's delivery id, else the request id. */
  deliveryId: string;
  /** The repository or organization, for the audit row when no run is started. */
  target: string;
}

/** What `receiveWebhook` needs. */
export interface ReceiveWebhookOptions {
  deps: ApiDeps;
  logger: Logger;
  forge: ForgeWebhook;
  delivery: WebhookDelivery;
  /** Called once the sender is verified and before anything starts; a rejection refuses the delivery. */
  onVerified(verified: VerifiedDelivery): Promise<void>;
}

/** The answer to a delivery; failures are thrown as ApiError. */
export interface WebhookAnswer {
  status: 200 | 202;
  body: Record<string, unknown>;
  /** The run started, or found again for a redelivery. */
  runId?: string;
  replayed?: boolean;
}

/** Receives one delivery: 200 for a ping, 202 with the run started or the reason none was. */
export async function receiveWebhook(options: ReceiveWebhookOptions): Promise<WebhookAnswer> {
  const { deps, forge, delivery } = options;
  const payload = decodeWebhookBody(delivery.rawBody, delivery.mediaType);
  const eventName = delivery.header(forge.eventHeader);
  const sender = await verifyWebhookSender({
    deps,
    logger: options.logger,
    forge,
    claimed: forge.sender(eventName, payload),
    rawBody: delivery.rawBody,
    header: delivery.header,
  });
  const found = forge.deliveryHeaders
    .map((header) => ({ header, value: delivery.header(header) }))
    .find((d) => d.value !== undefined && d.value !== '');
  const principal = principalOf(forge, sender);
  // Unsigned deliveries never get here, so they are not audited, as requests with a bad token are not.
  await options.onVerified({
    principal,
    action: forge.auditAction(eventName),
    deliveryId: found?.value ?? delivery.requestId,
    target: targetOf(sender),
  });
  const { event: eventType, deliveryId } = requiredHeaders(forge, eventName, found);
  // An organization sends only its hook's ping (see ForgeWebhook.sender), answered as a repository hook's is.
  if (sender.kind === 'organization') return { status: 200, body: { pong: true, organization: sender.login } };
  const event = forge.interpret(eventType, payload);
  const repository = sender.repository;
  if (event.kind === 'ping') return { status: 200, body: { pong: true, repository: repository.name } };
  if (event.kind === 'ignored') return { status: 202, body: { started: false, reason: event.reason } };
  return buildCommit(deps, options.logger, { forge, repository, event, deliveryId, principal });
}

/** The event and the delivery's id, which every delivery must carry; 400 naming the header missing. */
function requiredHeaders(
  forge: ForgeWebhook,
  eventName: string | undefined,
  found: { header: string; value?: string } | undefined,
): { event: string; deliveryId: string } {
  if (eventName === undefined || eventName === '') {
    const missing = [{ field: forge.eventHeader, message: 'is missing' }];
    throw new ApiError(400, 'invalid_request', `${forge.eventHeader} is missing`, missing);
  }
  if (found?.value === undefined) {
    throw new ApiError(
      400,
      'invalid_request',
      `${forge.deliveryHeaders.join(' or ')} is missing: a delivery needs an id, so a redelivery starts nothing new`,
      forge.deliveryHeaders.map((field) => ({ field, message: 'is missing' })),
    );
  }
  return { event: eventName, deliveryId: parseOr400(IdempotencyKeySchema, found.value, 'header', found.header) };
}

/** A verified delivery that asks for a build. */
interface BuildRequest {
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
async function buildCommit(deps: ApiDeps, logger: Logger, request: BuildRequest): Promise<WebhookAnswer> {
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
  const answered = { ...build, ...(schedule ? { schedule: scheduleAnswer(schedule) } : {}) };
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
        : defaultHead(repository.cloneUrl).then(
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

function principalOf(forge: ForgeWebhook, sender: VerifiedSender): Principal {
  const tokenId = sender.kind === 'repository' ? `webhook:${sender.repository.name}` : `webhook:org:${sender.login}`;
  return { name: `webhook:${forge.provider}`, tokenId, role: 'operator' };
}

function targetOf(sender: VerifiedSender): string {
  return sender.kind === 'repository' ? sender.repository.name : sender.login;
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
    return { kind: 'valid', spec: parsePipelineYaml(text, repository.pipelinePath, deps.nodeClasses), text };
  } catch (err) {
    if (err instanceof PipelineSpecError)
      return { kind: 'invalid', error: new PipelineSpecError(err.source, err.issues, 422, 'invalid_pipeline') };
    throw err;
  }
}
