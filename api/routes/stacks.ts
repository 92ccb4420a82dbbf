/**
 * Pulumi stacks: declare a stack (`PUT /v1/stacks/:project/:stack`), run operations on it
 * (`POST …/operations`), approve or reject a previewed plan, and read stacks with their resources.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Router } from 'express';
import { jsonBody } from '../input/body-parsers';
import { z } from 'zod';
import { sealConfig } from '../../activities/pulumi/config-secrets';
import { maskConfig } from '../../activities/pulumi/programs';
import { declareStack, findStack, forgetStack, listStacks, resourcesOf, type StackRecord } from '../../activities/pulumi/stack-records';
import { STACK_NAME_PATTERN, STACK_OPERATIONS, stackWorkflowId } from '../../workflows/contracts/stack-operation';
import { stackApprovalUpdate, stackStateQuery } from '../../workflows/stack/definitions';
import { actingPrincipal } from '../auth/principal';
import { ApiError, validationError } from '../errors';
import type { ApiDeps } from '../services/deps';
import { operationInput, startStackOperation, syncDriftSchedule, syncTtlTimer } from '../services/stack-operations';
import { parseOr400 } from '../validate';
import { fieldIssues } from '../../config/zod-issues';

const NameSchema = z.string().regex(STACK_NAME_PATTERN, 'must be lowercase letters, digits and dashes, starting with a letter');
const CronSchema = z.string().regex(/^(\S+\s+){4}\S+$/, 'must be a five-field cron expression, e.g. "*/15 * * * *"');

/** Body of `PUT /v1/stacks/:project/:stack`. */
export const StackDeclarationSchema = z.strictObject({
  program: z.string().min(1).max(100).describe('A program registered in infra/programs.'),
  config: z.record(z.string(), z.unknown()).default({}),
  labels: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a lowercase label key'), z.string().max(200)).default({}),
  ttlSeconds: z.number().int().min(1).max(366 * 24 * 3600).nullable().default(null).describe('Destroy the stack this long after the declaration.'),
  driftSchedule: CronSchema.nullable().default(null).describe('Cron for the read-only drift check.'),
});

/** Body of `POST /v1/stacks/:project/:stack/operations`. */
export const StackOperationRequestSchema = z.strictObject({
  operation: z.enum(STACK_OPERATIONS),
  approval: z.strictObject({
    approvers: z.array(z.string().min(1).max(200)).max(100).default([]),
    allowRequester: z.boolean().default(false),
    timeoutSeconds: z.number().int().min(1).max(30 * 24 * 3600).default(24 * 3600),
  }).optional().describe('Only for up: wait for approval between preview and apply.'),
  confirm: z.string().max(200).optional().describe('Required for destroy: the stack as project/stack.'),
  queue: z.boolean().default(false).describe('Wait in line when another operation runs, instead of 409.'),
});

const DecisionSchema = z.strictObject({ comment: z.string().max(2000).optional() });

/** Routes of Pulumi stacks. */
export function stackRoutes(deps: ApiDeps): Router {
  const router = Router();
  const address = (params: Record<string, string | undefined>) => ({
    project: parseOr400(NameSchema, params.project, 'project', 'project'),
    stack: parseOr400(NameSchema, params.stack, 'stack', 'stack'),
  });
  const declared = async (params: Record<string, string | undefined>) => {
    const at = address(params);
    const record = await findStack(deps.db, at);
    if (!record) throw new ApiError(404, 'stack_not_found', `stack ${at.project}/${at.stack} is not declared; PUT /v1/stacks/${at.project}/${at.stack} first`);
    return record;
  };

  // Secret config fields (passwords, admin URLs) are stored for the workers but never shown.
  const view = (record: StackRecord): StackRecord => ({ ...record, config: maskConfig(deps.programs.find(record.program), record.config) });

  router.get('/v1/stacks', async (_req, res) => {
    res.json({ stacks: (await listStacks(deps.db)).map(view) });
  });

  router.get('/v1/stacks/:project/:stack', async (req, res) => {
    const record = await declared(req.params);
    const handle = deps.client.workflow.getHandle(stackWorkflowId(record.project, record.stack));
    const description = await handle.describe().catch((err: unknown) => { if (err instanceof WorkflowNotFoundError) return undefined; throw err; });
    const current = description?.status.name === 'RUNNING' ? await handle.query(stackStateQuery).catch(() => undefined) : undefined;
    res.json({ ...view(record), resources: await resourcesOf(deps.db, record), ...(current ? { currentOperation: current } : {}) });
  });

  router.put('/v1/stacks/:project/:stack', jsonBody({ limit: deps.maxBodyBytes }), async (req, res) => {
    const at = address(req.params);
    const body = parseOr400(StackDeclarationSchema, req.body, 'stack declaration');
    const program = deps.programs.find(body.program);
    if (!program) {
      throw validationError([{ field: 'program', message: `unknown program "${body.program}"; known: ${deps.programs.names.join(', ')}` }], 'stack declaration');
    }
    const config = program.configSchema.safeParse(body.config);
    if (!config.success) throw validationError(fieldIssues(config.error.issues, 'config'), `config for program "${body.program}"`);
    const by = actingPrincipal()!.name;
    const expiresAt = body.ttlSeconds === null ? null : new Date(Date.now() + body.ttlSeconds * 1000).toISOString();
    const sealed = sealConfig(body.config, program.secretFields, deps.stackConfigKey);
    const created = await declareStack(deps.db, at, { program: body.program, config: sealed, labels: body.labels, expiresAt, driftSchedule: body.driftSchedule, by });
    const record = (await findStack(deps.db, at))!;
    await syncTtlTimer(deps, record, by);
    await syncDriftSchedule(deps, record, by);
    res.status(created ? 201 : 200).json(view(record));
  });

  router.delete('/v1/stacks/:project/:stack', async (req, res) => {
    const record = await declared(req.params);
    const name = `${record.project}/${record.stack}`;
    const resources = await resourcesOf(deps.db, record);
    if (resources.length > 0) {
      throw new ApiError(409, 'stack_not_empty', `stack ${name} still holds ${resources.length} resources; destroy it first (POST /v1/stacks/${name}/operations {"operation":"destroy","confirm":"${name}"})`);
    }
    const running = await deps.client.workflow.getHandle(stackWorkflowId(record.project, record.stack)).describe()
      .then((d) => d.status.name === 'RUNNING', (err: unknown) => { if (err instanceof WorkflowNotFoundError) return false; throw err; });
    if (running) throw new ApiError(409, 'stack_busy', `an operation is running on ${name}; wait for it or cancel it first`);
    // Timer and schedule first: a stack forgotten with its drift schedule left would be checked for ever.
    const by = actingPrincipal()!.name;
    const gone = { ...record, expiresAt: null, driftSchedule: null };
    await syncTtlTimer(deps, gone, by);
    await syncDriftSchedule(deps, gone, by);
    await forgetStack(deps.db, record);
    res.json({ deleted: name });
  });

  router.post('/v1/stacks/:project/:stack/operations', jsonBody({ limit: 65_536 }), async (req, res) => {
    const body = parseOr400(StackOperationRequestSchema, req.body, 'stack operation');
    const record = await declared(req.params);
    const name = `${record.project}/${record.stack}`;
    if (body.operation === 'destroy' && body.confirm !== name) {
      throw validationError([{ field: 'confirm', message: `destroy needs "confirm": "${name}"` }], 'stack operation');
    }
    if (body.approval && body.operation !== 'up') {
      throw validationError([{ field: 'approval', message: 'only an up waits for approval' }], 'stack operation');
    }
    const input = operationInput(deps, record, body.operation, actingPrincipal()!.name, body.approval);
    const started = await startStackOperation(deps, input, body.queue);
    res.locals.runId = started.runId;
    res.status(202).json({ ...started, links: { self: `/v1/runs/${encodeURIComponent(started.runId)}`, stack: `/v1/stacks/${name}` } });
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/v1/stacks/:project/:stack/${decision}`, jsonBody({ limit: 65_536 }), async (req, res) => {
      const record = await declared(req.params);
      const body = parseOr400(DecisionSchema, req.body ?? {}, 'request body');
      const runId = stackWorkflowId(record.project, record.stack);
      res.locals.runId = runId;
      try {
        const state = await deps.client.workflow.getHandle(runId).executeUpdate(stackApprovalUpdate, {
          args: [{ approve: decision === 'approve', by: actingPrincipal()!.name, comment: body.comment }],
        });
        res.json({ runId, state });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new ApiError(409, 'approval_refused', err.cause?.message ?? err.message);
        if (err instanceof WorkflowNotFoundError) throw new ApiError(409, 'approval_refused', `no operation is running on ${record.project}/${record.stack}`);
        throw err;
      }
    });
  }
  return router;
}
