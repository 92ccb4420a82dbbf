/**
 * A forge's delivery, from raw bytes to an answer: decode the payload, verify the sender, then
 * answer a ping, say why nothing starts, or start the repository's pipeline at the pushed commit.
 */
import type { Logger } from '../../config/logger';
import type { Principal } from '../auth/principal';
import { ApiError } from '../errors';
import { decodeWebhookBody } from '../pipelines/webhook-body';
import type { ForgeWebhook } from '../pipelines/webhook-events';
import { IdempotencyKeySchema } from '../schemas';
import { parseOr400 } from '../validate';
import type { ApiDeps } from './deps';
import { buildCommit } from './build-commit';
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

function principalOf(forge: ForgeWebhook, sender: VerifiedSender): Principal {
  const tokenId = sender.kind === 'repository' ? `webhook:${sender.repository.name}` : `webhook:org:${sender.login}`;
  return { name: `webhook:${forge.provider}`, tokenId, role: 'operator' };
}

function targetOf(sender: VerifiedSender): string {
  return sender.kind === 'repository' ? sender.repository.name : sender.login;
}
