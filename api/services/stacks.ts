/**
 * Declared Pulumi stacks as the API serves them: declaring, reading, forgetting, and the requests
 * and approval decisions of their operations. Routes parse and answer; the rules live here.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { sealConfig } from '../../db/stores/stack-config-secrets';
import { maskConfig } from '../../infra/programs/registry';
import {
  declareStack,
  findStack,
  forgetStack,
  listStacks,
  resourceCounts,
  resourcesOf,
  type StackRecord,
} from '../../db/stores/stack-records';
import { fieldIssues } from '../../config/zod-issues';
import { stackWorkflowId, type StackOperationInput } from '../../workflows/contracts/stack-operation';
import { stackApprovalUpdate, stackStateQuery } from '../../workflows/stack/definitions';
import { ApiError, validationError } from '../errors';
import type { ApiDeps } from './deps';
import { runningOperations } from './stack-history';
import {
  operationInput,
  startStackOperation,
  syncDriftSchedule,
  syncTtlTimer,
  type StartedStackOperation,
} from './stack-operations';

/** A stack's place: its project and its name. */
export interface StackAt {
  project: string;
  stack: string;
}

/** A validated declaration, as `PUT /v1/stacks/:project/:stack` carries it. */
export interface StackDeclarationRequest {
  program: string;
  config: Record<string, unknown>;
  labels: Record<string, string>;
  ttlSeconds: number | null;
  driftSchedule: string | null;
}

/** A validated operation request, as `POST …/operations` carries it. */
export interface StackOperationRequest {
  operation: StackOperationInput['operation'];
  approval?: StackOperationInput['approval'];
  confirm?: string;
  queue: boolean;
}

/** The declared stack at `at`; 404 saying how to declare it when there is none. */
export async function declaredStack(deps: ApiDeps, at: StackAt): Promise<StackRecord> {
  const record = await findStack(deps.db, at);
  if (!record) {
    const name = `${at.project}/${at.stack}`;
    throw new ApiError(404, 'stack_not_found', `stack ${name} is not declared; PUT /v1/stacks/${name} first`);
  }
  return record;
}

/** A stack as the API shows it: secret config fields (passwords, admin URLs) are kept for the workers, never shown. */
export function stackView(deps: ApiDeps, record: StackRecord): StackRecord {
  return { ...record, config: maskConfig(deps.programs.find(record.program), record.config) };
}

/** A stack in the list: how many resources it holds and the operation running on it, if any. */
export type StackListEntry = StackRecord & {
  resourceCount: number;
  running?: { operation?: string; requestedBy?: string; startedAt: string };
};

/** Every declared stack, as shown, with its resource count and running operation. */
export async function listStackViews(deps: ApiDeps): Promise<StackListEntry[]> {
  const [records, counts, running] = await Promise.all([
    listStacks(deps.db),
    resourceCounts(deps.db),
    runningOperations(deps),
  ]);
  return records.map((record) => {
    const name = `${record.project}/${record.stack}`;
    const now = running.get(name);
    return { ...stackView(deps, record), resourceCount: counts.get(name) ?? 0, ...(now ? { running: now } : {}) };
  });
}

/** A declared stack with its resources and, while one runs, the state of its current operation. */
export async function describeStack(deps: ApiDeps, at: StackAt): Promise<Record<string, unknown>> {
  const record = await declaredStack(deps, at);
  const handle = deps.client.workflow.getHandle(stackWorkflowId(record.project, record.stack));
  const description = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  });
  const running = description?.status.name === 'RUNNING';
  const current = running ? await handle.query(stackStateQuery).catch(() => undefined) : undefined;
  const resources = await resourcesOf(deps.db, record);
  return { ...stackView(deps, record), resources, ...(current ? { currentOperation: current } : {}) };
}

/** What declaring a stack needs. */
export interface DeclareStackOptions {
  at: StackAt;
  declaration: StackDeclarationRequest;
  by: string;
}

/**
 * Declares (or re-declares) a stack once its program knows the config, seals the secret fields,
 * and sets its TTL timer and drift schedule; `created` is false for a re-declaration.
 */
export async function declareStackFor(
  deps: ApiDeps,
  { at, declaration, by }: DeclareStackOptions,
): Promise<{ created: boolean; view: StackRecord }> {
  const { program: programName, ttlSeconds } = declaration;
  const program = deps.programs.find(programName);
  if (!program) {
    const message = `unknown program "${programName}"; known: ${deps.programs.names.join(', ')}`;
    throw validationError([{ field: 'program', message }], 'stack declaration');
  }
  const config = program.configSchema.safeParse(declaration.config);
  if (!config.success) {
    throw validationError(fieldIssues(config.error.issues, 'config'), `config for program "${programName}"`);
  }
  const expiresAt = ttlSeconds === null ? null : new Date(Date.now() + ttlSeconds * 1000).toISOString();
  const sealed = sealConfig(declaration.config, program.secretFields, deps.stackConfigKey);
  const created = await declareStack(deps.db, at, {
    program: programName,
    config: sealed,
    labels: declaration.labels,
    expiresAt,
    driftSchedule: declaration.driftSchedule,
    by,
  });
  const record = (await findStack(deps.db, at))!;
  await syncTtlTimer(deps, record, by);
  await syncDriftSchedule(deps, record, by);
  return { created, view: stackView(deps, record) };
}

/** Forgets an empty, idle stack with its timer and schedule; 409 while it holds resources or runs something. */
export async function forgetDeclaredStack(deps: ApiDeps, at: StackAt, by: string): Promise<string> {
  const record = await declaredStack(deps, at);
  const name = `${record.project}/${record.stack}`;
  const resources = await resourcesOf(deps.db, record);
  if (resources.length > 0) {
    const destroy = `POST /v1/stacks/${name}/operations {"operation":"destroy","confirm":"${name}"}`;
    const holds = `stack ${name} still holds ${resources.length} resources`;
    throw new ApiError(409, 'stack_not_empty', `${holds}; destroy it first (${destroy})`);
  }
  const running = await deps.client.workflow
    .getHandle(stackWorkflowId(record.project, record.stack))
    .describe()
    .then(
      (d) => d.status.name === 'RUNNING',
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      },
    );
  if (running) {
    throw new ApiError(409, 'stack_busy', `an operation is running on ${name}; wait for it or cancel it first`);
  }
  // Timer and schedule first: a stack forgotten with its drift schedule left would be checked for ever.
  const gone = { ...record, expiresAt: null, driftSchedule: null };
  await syncTtlTimer(deps, gone, by);
  await syncDriftSchedule(deps, gone, by);
  await forgetStack(deps.db, record);
  return name;
}

/** What requesting an operation needs. */
export interface RequestStackOperationOptions {
  at: StackAt;
  request: StackOperationRequest;
  by: string;
}

/** Starts (or queues) an operation on a declared stack; a destroy names the stack, only an up awaits approval. */
export async function requestStackOperation(
  deps: ApiDeps,
  { at, request, by }: RequestStackOperationOptions,
): Promise<StartedStackOperation & { stack: string }> {
  const record = await declaredStack(deps, at);
  const name = `${record.project}/${record.stack}`;
  if (request.operation === 'destroy' && request.confirm !== name) {
    throw validationError([{ field: 'confirm', message: `destroy needs "confirm": "${name}"` }], 'stack operation');
  }
  if (request.approval && request.operation !== 'up') {
    throw validationError([{ field: 'approval', message: 'only an up waits for approval' }], 'stack operation');
  }
  const input = operationInput(deps, record, request.operation, by, request.approval);
  return { ...(await startStackOperation(deps, input, request.queue)), stack: name };
}

/** What approving or rejecting a previewed plan needs. */
export interface StackDecisionOptions {
  at: StackAt;
  approve: boolean;
  by: string;
  comment?: string;
}

/** Approves or rejects the plan a running up waits on; 409 when none waits or the workflow refuses it. */
export async function decideStackApproval(
  deps: ApiDeps,
  options: StackDecisionOptions,
): Promise<{ runId: string; state: unknown }> {
  const record = await declaredStack(deps, options.at);
  const runId = stackWorkflowId(record.project, record.stack);
  try {
    const state = await deps.client.workflow.getHandle(runId).executeUpdate(stackApprovalUpdate, {
      args: [{ approve: options.approve, by: options.by, comment: options.comment }],
    });
    return { runId, state };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ApiError(409, 'approval_refused', err.cause?.message ?? err.message);
    }
    if (err instanceof WorkflowNotFoundError) {
      throw new ApiError(409, 'approval_refused', `no operation is running on ${record.project}/${record.stack}`);
    }
    throw err;
  }
}
