/**
 * `POST /v1/webhooks/github` and `POST /v1/webhooks/gitlab`: a forge's push or pull request starts
 * the repository's pipeline at that commit. No bearer token here (see auth/policy.ts): the sender
 * proves itself with the repository's webhook secret, checked against the raw bytes received.
 */
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from '../../config/logger';
import { beginAudit, completeAudit } from '../../db/stores/audit-store';
import { withDatabase } from '../auth/database-errors';
import { actAs, type Principal } from '../auth/principal';
import { ApiError } from '../errors';
import { githubWebhook } from '../pipelines/github-webhook';
import { gitlabWebhook } from '../pipelines/gitlab-webhook';
import { parsePipelineYaml, PipelineSpecError } from '../pipelines/parse-pipeline';
import { readPipelineFile } from '../pipelines/read-pipeline-file';
import { findRepository, type RepositoryRecord } from '../../db/stores/repository-store';
import { matchTrigger } from '../pipelines/triggers';
import type { ForgeWebhook } from '../pipelines/webhook-events';
import { IdempotencyKeySchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import { startPipeline } from '../services/start-pipeline';
import { parseOr400 } from '../validate';

/** GitHub delivers payloads of up to 25 MB (a push of many commits); it sends nothing larger, so neither is accepted here. */
export const WEBHOOK_MAX_BODY_BYTES = 25 * 1024 * 1024;

/** The webhook routes of every forge Capstan knows. */
export function webhookRoutes(deps: ApiDeps, logger: Logger): Router {
  const router = Router();
  for (const forge of [githubWebhook, gitlabWebhook]) {
    // Raw bytes, whatever the Content-Type says: the signature covers exactly what was sent, not a re-serialisation.
    router.post(`/v1/webhooks/${forge.provider}`, express.raw({ type: () => true, limit: WEBHOOK_MAX_BODY_BYTES }), async (req, res) => {
      await receive(deps, logger, forge, req, res);
    });
  }
  return router;
}

async function receive(deps: ApiDeps, logger: Logger, forge: ForgeWebhook, req: Request, res: Response): Promise<void> {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (req.is('application/json') === false) {
    throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json: set the webhook\'s content type to application/json', [{ field: 'Content-Type', message: 'must be application/json' }]);
  }
  const payload = parseJson(raw);
  const name = forge.repositoryName(payload);
  const repo = await withDatabase('looking up the repository', () => findRepository(deps.db, name));
  if (!repo || repo.provider !== forge.provider) {
    throw new ApiError(404, 'repository_not_found', `no ${forge.provider} repository "${name}" is registered; register it with POST /v1/repositories`);
  }
  const check = forge.verify(raw, (header) => req.get(header), repo.webhookSecret);
  // Unsigned deliveries are not audited, as requests with a bad token are not: neither may fill the log.
  if (!check.valid) throw new ApiError(401, 'invalid_signature', check.reason, [{ field: forge.signatureHeader, message: check.reason }]);

  const eventName = req.get(forge.eventHeader);
  const delivery = forge.deliveryHeaders.map((header) => ({ header, value: req.get(header) })).find((d) => d.value !== undefined && d.value !== '');
  const principal: Principal = { name: `webhook:${forge.provider}`, tokenId: `webhook:${repo.name}`, role: 'operator' };
  await auditDelivery(deps, logger, req, res, principal, forge.auditAction(eventName), delivery?.value ?? (res.locals.requestId as string), repo);

  if (eventName === undefined || eventName === '') throw new ApiError(400, 'invalid_request', `${forge.eventHeader} is missing`, [{ field: forge.eventHeader, message: 'is missing' }]);
  if (!delivery) {
    throw new ApiError(400, 'invalid_request', `${forge.deliveryHeaders.join(' or ')} is missing: a delivery needs an id, so a redelivery starts nothing new`,
      forge.deliveryHeaders.map((field) => ({ field, message: 'is missing' })));
  }
  const deliveryId = parseOr400(IdempotencyKeySchema, delivery.value, 'header', delivery.header);
  const event = forge.interpret(eventName, payload);
  if (event.kind === 'ping') {
    res.json({ pong: true, repository: repo.name });
    return;
  }
  if (event.kind === 'ignored') {
    res.status(202).json({ started: false, reason: event.reason });
    return;
  }
  const about = { event: event.event, repository: repo.name, sha: event.sha, branch: event.branch };
  const text = await readPipelineFile(repo.cloneUrl, event.sha, repo.pipelinePath).catch((err: unknown) => {
    // A commit without a pipeline file is a branch that has none, as a repository without workflows runs no Actions.
    if (err instanceof ApiError && err.code === 'pipeline_not_found') return undefined;
    throw err;
  });
  if (text === undefined) {
    res.status(202).json({ started: false, reason: `commit ${event.sha} has no pipeline file at ${repo.pipelinePath}`, ...about });
    return;
  }
  const spec = parseSpec(text, repo.pipelinePath, deps);
  const match = matchTrigger(spec, { event: event.event, branch: event.filterBranch });
  if (!match.matched) {
    res.status(202).json({ started: false, reason: match.reason, ...about });
    return;
  }
  const trigger = { event: event.event, repository: repo.name, cloneUrl: repo.cloneUrl, sha: event.sha, branch: event.branch, deliveryId, triggeredBy: event.triggeredBy };
  // The delivery id is the idempotency key: a redelivery finds the run the first delivery started.
  const started = await actAs(principal, () => startPipeline(deps, spec, trigger, `webhook:${forge.provider}:${deliveryId}`));
  res.locals.runId = started.runId;
  if (!started.created) res.setHeader('Idempotent-Replayed', 'true');
  res.status(202).json({ started: true, runId: started.runId, created: started.created, ...about, links: { self: `/v1/runs/${encodeURIComponent(started.runId)}` } });
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'malformed_json', 'webhook body is not valid JSON', [{ field: '(body)', message: (err as Error).message }]);
  }
}

/** The pipeline at the pushed commit; a broken one is the repository's problem, not the delivery's, so 422 rather than 400. */
function parseSpec(text: string, path: string, deps: ApiDeps): ReturnType<typeof parsePipelineYaml> {
  try {
    return parsePipelineYaml(text, path, deps.nodeClasses);
  } catch (err) {
    if (err instanceof PipelineSpecError) throw new PipelineSpecError(err.source, err.issues, 422, 'invalid_pipeline');
    throw err;
  }
}

/**
 * Writes the delivery's audit row before anything is started (503 and nothing done when it cannot
 * be written) and completes it when the answer is sent, with the run it started or the repository.
 * The forge's delivery id is the row's request id, so a row leads to the forge's delivery log.
 */
async function auditDelivery(deps: ApiDeps, logger: Logger, req: Request, res: Response, principal: Principal, action: string, deliveryId: string, repo: RepositoryRecord): Promise<void> {
  const id = await withDatabase('writing the audit log', () => beginAudit(deps.db, {
    requestId: deliveryId.slice(0, 255), principal: principal.name, tokenId: principal.tokenId, action, method: req.method, path: req.path,
  }));
  let completed = false;
  const complete = (): void => {
    if (completed || !res.headersSent) return;
    completed = true;
    completeAudit(deps.db, id, res.statusCode, (res.locals.runId as string | undefined) ?? repo.name).catch((err: unknown) =>
      logger.warn({ err: (err as Error).message, auditId: id, deliveryId }, 'could not complete a webhook audit row; it stays pending'));
  };
  res.once('finish', complete);
  res.once('close', complete);
}
