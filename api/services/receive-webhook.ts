/**
 * A forge's delivery, from raw bytes to an answer: decode the payload, verify the sender, then
 * answer a ping, say why nothing starts, or start the repository's pipeline at the pushed commit.
 */
import type { Logger } from '../../config/logger';
import { actAs, type Principal } from '../auth/principal';
import { ApiError } from '../errors';
import { parsePipelineYaml, PipelineSpecError } from '../pipelines/parse-pipeline';
import { matrixLimitsOf } from '../pipelines/check-matrix';
import { readPipelineFile } from '../pipelines/read-pipeline-file';
import type { RepositoryRecord } from '../../db/stores/repository-store';
import { matchTrigger } from '../pipelines/triggers';
import { decodeWebhookBody } from '../pipelines/webhook-body';
import type { ForgeEvent, ForgeWebhook } from '../pipelines/webhook-events';
import { IdempotencyKeySchema } from '../schemas';
import { parseOr400 } from '../validate';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import type { ApiDeps } from './deps';
import { startPipeline } from './start-pipeline';
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
  return buildCommit(deps, { forge, repository, event, deliveryId, principal });
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

/** Starts the pipeline at the commit when it has one whose triggers match; otherwise says why not. */
async function buildCommit(deps: ApiDeps, request: BuildRequest): Promise<WebhookAnswer> {
  const { forge, repository, event, deliveryId, principal } = request;
  const build = { event: event.event, repository: repository.name, sha: event.sha, branch: event.branch };
  const spec = await pipelineAt(deps, repository, event.sha);
  if (spec === undefined) {
    const reason = `commit ${event.sha} has no pipeline file at ${repository.pipelinePath}`;
    return { status: 202, body: { started: false, reason, ...build } };
  }
  const match = matchTrigger(spec, { event: event.event, branch: event.filterBranch });
  if (!match.matched) return { status: 202, body: { started: false, reason: match.reason, ...build } };
  const trigger = { ...build, cloneUrl: repository.cloneUrl, deliveryId, triggeredBy: event.triggeredBy };
  // The delivery id is the idempotency key: a redelivery finds the run the first delivery started.
  const idempotencyKey = `webhook:${forge.provider}:${deliveryId}`;
  const started = await actAs(principal, () => startPipeline(deps, spec, trigger, idempotencyKey));
  const links = { self: `/v1/runs/${encodeURIComponent(started.runId)}` };
  return {
    status: 202,
    runId: started.runId,
    replayed: !started.created,
    body: { started: true, runId: started.runId, created: started.created, ...build, links },
  };
}

function principalOf(forge: ForgeWebhook, sender: VerifiedSender): Principal {
  const tokenId = sender.kind === 'repository' ? `webhook:${sender.repository.name}` : `webhook:org:${sender.login}`;
  return { name: `webhook:${forge.provider}`, tokenId, role: 'operator' };
}

function targetOf(sender: VerifiedSender): string {
  return sender.kind === 'repository' ? sender.repository.name : sender.login;
}

/**
 * The pipeline at the pushed commit; undefined when the commit has none, as a repository without
 * workflows runs no Actions. A broken one is the repository's problem, not the delivery's: 422.
 */
async function pipelineAt(deps: ApiDeps, repository: RepositoryRecord, sha: string): Promise<PipelineSpec | undefined> {
  const text = await readPipelineFile(repository.cloneUrl, sha, repository.pipelinePath).catch((err: unknown) => {
    if (err instanceof ApiError && err.code === 'pipeline_not_found') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  try {
    return parsePipelineYaml(text, repository.pipelinePath, deps.nodeClasses, matrixLimitsOf(deps.dagLimits));
  } catch (err) {
    if (err instanceof PipelineSpecError) throw new PipelineSpecError(err.source, err.issues, 422, 'invalid_pipeline');
    throw err;
  }
}
