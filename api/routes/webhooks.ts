/**
 * `POST /v1/webhooks/github` and `POST /v1/webhooks/gitlab`: a forge's push or pull request starts
 * the repository's pipeline at that commit. No bearer token here (see auth/policy.ts): the sender
 * proves itself with the repository's webhook secret, checked against the raw bytes received.
 */
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from '../../config/logger';
import { beginAudit, completeAudit } from '../../db/stores/audit-store';
import { withDatabase } from '../auth/database-errors';
import { ApiError } from '../errors';
import { githubWebhook } from '../pipelines/github-webhook';
import { gitlabWebhook } from '../pipelines/gitlab-webhook';
import type { ForgeWebhook } from '../pipelines/webhook-events';
import type { ApiDeps } from '../services/deps';
import { receiveWebhook, type VerifiedDelivery } from '../services/receive-webhook';

/** GitHub delivers payloads of up to 25 MB (a push of many commits); it sends nothing larger, so neither is accepted here. */
export const WEBHOOK_MAX_BODY_BYTES = 25 * 1024 * 1024;

/** The webhook routes of every forge Capstan knows. */
export function webhookRoutes(deps: ApiDeps, logger: Logger): Router {
  const router = Router();
  for (const forge of [githubWebhook, gitlabWebhook]) {
    // Raw bytes, whatever the Content-Type says: the signature covers exactly what was sent, not a re-serialisation.
    const raw = express.raw({ type: () => true, limit: WEBHOOK_MAX_BODY_BYTES });
    router.post(`/v1/webhooks/${forge.provider}`, raw, async (req, res) => {
      const answer = await receiveWebhook({
        deps,
        logger,
        forge,
        delivery: {
          rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
          mediaType: mediaTypeOf(req, forge),
          header: (name) => req.get(name),
          requestId: res.locals.requestId as string,
        },
        onVerified: (verified) => auditDelivery({ deps, logger, req, res, verified }),
      });
      if (answer.runId !== undefined) res.locals.runId = answer.runId;
      if (answer.replayed === true) res.setHeader('Idempotent-Replayed', 'true');
      res.status(answer.status).json(answer.body);
    });
  }
  return router;
}

/** The forge's content type the request was sent with; a body without a type is read as the first. */
function mediaTypeOf(req: Request, forge: ForgeWebhook): string {
  const matched = req.is([...forge.mediaTypes]);
  if (matched === false) {
    const accepted = forge.mediaTypes.join(' or ');
    throw new ApiError(
      415,
      'unsupported_media_type',
      `Content-Type must be ${accepted}: set the webhook's content type to ${forge.mediaTypes[0]!}`,
      [{ field: 'Content-Type', message: `must be ${accepted}` }],
    );
  }
  return matched ?? forge.mediaTypes[0]!;
}

/** What auditing a verified delivery needs. */
interface DeliveryAudit {
  deps: ApiDeps;
  logger: Logger;
  req: Request;
  res: Response;
  verified: VerifiedDelivery;
}

/**
 * Writes the delivery's audit row before anything is started (503 and nothing done when it cannot
 * be written) and completes it when the answer is sent, with the run it started or the sender.
 * The forge's delivery id is the row's request id, so a row leads to the forge's delivery log.
 */
async function auditDelivery({ deps, logger, req, res, verified }: DeliveryAudit): Promise<void> {
  const { principal, deliveryId } = verified;
  const id = await withDatabase('writing the audit log', () =>
    beginAudit(deps.db, {
      requestId: deliveryId.slice(0, 255),
      principal: principal.name,
      tokenId: principal.tokenId,
      action: verified.action,
      method: req.method,
      path: req.path,
    }),
  );
  let completed = false;
  const complete = (): void => {
    if (completed || !res.headersSent) return;
    completed = true;
    const target = (res.locals.runId as string | undefined) ?? verified.target;
    completeAudit(deps.db, id, res.statusCode, target).catch((err: unknown) =>
      logger.warn(
        { err: (err as Error).message, auditId: id, deliveryId },
        'could not complete a webhook audit row; it stays pending',
      ),
    );
  };
  res.once('finish', complete);
  res.once('close', complete);
}
