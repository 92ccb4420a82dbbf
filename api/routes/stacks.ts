/**
 * Pulumi stacks: declare a stack (`PUT /v1/stacks/:project/:stack`), run operations on it
 * (`POST …/operations`), approve or reject a previewed plan, and read stacks with their resources.
 */
import { Router } from 'express';
import { jsonBody } from '../input/body-parsers';
import { z } from 'zod';
import { STACK_NAME_PATTERN, STACK_OPERATIONS, stackWorkflowId } from '../../workflows/contracts/stack-operation';
import { actingPrincipal } from '../auth/principal';
import type { ApiDeps } from '../services/deps';
import {
  declareStackFor,
  declaredStack,
  decideStackApproval,
  describeStack,
  forgetDeclaredStack,
  listStackViews,
  requestStackOperation,
  type StackAt,
} from '../services/stacks';
import { stackOperations } from '../services/stack-history';
import { parseOr400 } from '../validate';

/** A project's or stack's name in a path. */
export const NameSchema = z
  .string()
  .regex(STACK_NAME_PATTERN, 'must be lowercase letters, digits and dashes, starting with a letter');
const CronSchema = z.string().regex(/^(\S+\s+){4}\S+$/, 'must be a five-field cron expression, e.g. "*/15 * * * *"');

/** Body of `PUT /v1/stacks/:project/:stack`. */
export const StackDeclarationSchema = z.strictObject({
  program: z.string().min(1).max(100).describe('A program registered in infra/programs.'),
  config: z.record(z.string(), z.unknown()).default({}),
  labels: z
    .record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a lowercase label key'), z.string().max(200))
    .default({}),
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(366 * 24 * 3600)
    .nullable()
    .default(null)
    .describe('Destroy the stack this long after the declaration.'),
  driftSchedule: CronSchema.nullable().default(null).describe('Cron for the read-only drift check.'),
});

/** Body of `POST /v1/stacks/:project/:stack/operations`. */
export const StackOperationRequestSchema = z.strictObject({
  operation: z.enum(STACK_OPERATIONS),
  approval: z
    .strictObject({
      approvers: z.array(z.string().min(1).max(200)).max(100).default([]),
      allowRequester: z.boolean().default(false),
      timeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 24 * 3600)
        .default(24 * 3600),
    })
    .optional()
    .describe('Only for up: wait for approval between preview and apply.'),
  confirm: z.string().max(200).optional().describe('Required for destroy: the stack as project/stack.'),
  queue: z.boolean().default(false).describe('Wait in line when another operation runs, instead of 409.'),
});

/** Query of a stack's operation history. */
export const OperationsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** Body of an approval decision. */
export const DecisionSchema = z.strictObject({ comment: z.string().max(2000).optional() });

/** Routes of Pulumi stacks. */
export function stackRoutes(deps: ApiDeps): Router {
  const router = Router();
  const by = (): string => actingPrincipal()!.name;

  router.get('/v1/stacks', async (_req, res) => {
    res.json({ stacks: await listStackViews(deps) });
  });

  router.get('/v1/stacks/:project/:stack', async (req, res) => {
    res.json(await describeStack(deps, stackAt(req.params)));
  });

  router.get('/v1/stacks/:project/:stack/operations', async (req, res) => {
    const at = stackAt(req.params);
    const { limit } = parseOr400(OperationsQuerySchema, req.query, 'query', 'query');
    await declaredStack(deps, at);
    res.json({ operations: await stackOperations(deps, at, limit) });
  });

  router.put('/v1/stacks/:project/:stack', jsonBody({ limit: deps.maxBodyBytes }), async (req, res) => {
    const at = stackAt(req.params);
    const declaration = parseOr400(StackDeclarationSchema, req.body, 'stack declaration');
    const declared = await declareStackFor(deps, { at, declaration, by: by() });
    res.status(declared.created ? 201 : 200).json(declared.view);
  });

  router.delete('/v1/stacks/:project/:stack', async (req, res) => {
    res.json({ deleted: await forgetDeclaredStack(deps, stackAt(req.params), by()) });
  });

  router.post('/v1/stacks/:project/:stack/operations', jsonBody({ limit: 65_536 }), async (req, res) => {
    const request = parseOr400(StackOperationRequestSchema, req.body, 'stack operation');
    const { stack, ...started } = await requestStackOperation(deps, { at: stackAt(req.params), request, by: by() });
    res.locals.runId = started.runId;
    const links = { self: `/v1/runs/${encodeURIComponent(started.runId)}`, stack: `/v1/stacks/${stack}` };
    res.status(202).json({ ...started, links });
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/v1/stacks/:project/:stack/${decision}`, jsonBody({ limit: 65_536 }), async (req, res) => {
      const at = stackAt(req.params);
      const body = parseOr400(DecisionSchema, req.body ?? {}, 'request body');
      // Set first, so the audit row names the run even when the decision is refused.
      res.locals.runId = stackWorkflowId(at.project, at.stack);
      const approve = decision === 'approve';
      res.json(await decideStackApproval(deps, { at, approve, by: by(), comment: body.comment }));
    });
  }
  return router;
}

/** The stack a path names, each part validated. */
function stackAt(params: Record<string, string | undefined>): StackAt {
  return {
    project: parseOr400(NameSchema, params.project, 'project', 'project'),
    stack: parseOr400(NameSchema, params.stack, 'stack', 'stack'),
  };
}
