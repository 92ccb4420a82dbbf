/** The document's part for Pulumi stacks: declarations, operations and approvals of previewed plans. */
import { z } from 'zod';
import {
  DecisionSchema,
  NameSchema,
  OperationsQuerySchema,
  StackDeclarationSchema,
  StackOperationRequestSchema,
} from '../routes/stacks';
import {
  errors,
  bodyRef,
  jsonRequestBody,
  jsonResponse,
  pathParameter,
  queryParameters,
  ref,
  schemaOf,
  type OpenApiPart,
  type Operation,
} from './shared';

/** A declared stack as the API shows it; secret config fields are masked. */
const StackSchema = z.object({
  project: z.string(),
  stack: z.string(),
  program: z.string(),
  config: z.record(z.string(), z.unknown()).describe('Secret fields are masked.'),
  labels: z.record(z.string(), z.string()),
  expiresAt: z.string().nullable(),
  driftSchedule: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.enum(['new', 'active', 'destroyed', 'failed']),
  lastOperation: z.string().nullable(),
  lastOperationAt: z.string().nullable(),
  lastRunId: z.string().nullable(),
  lastDrift: z.looseObject({}).nullable().describe('The last drift check: whether it found changes, and which.'),
});

/** A stack in the list, with its resource count and the operation running on it. */
const StackListEntrySchema = StackSchema.extend({
  resourceCount: z.number().int(),
  running: z
    .object({ operation: z.string().optional(), requestedBy: z.string().optional(), startedAt: z.string() })
    .optional()
    .describe('The operation running on the stack now, if one runs.'),
});

/** One operation of a stack's history. */
const StackOperationEntrySchema = z.object({
  temporalRunId: z.string(),
  operation: z.string().optional(),
  requestedBy: z.string().optional(),
  status: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
  outcome: z
    .object({
      phase: z.string().optional(),
      changes: z.record(z.string(), z.number()).optional().describe('Resources by operation (create, update, …).'),
      drifted: z.boolean().optional(),
      approval: z.looseObject({}).optional().describe('Who decided, when, with what comment.'),
      message: z.string().optional().describe('Why it failed, was rejected or cancelled.'),
    })
    .optional()
    .describe('How a finished operation ended.'),
});

/** A stack with its resources and, while one runs, the state of its operation. */
const StackDetailSchema = StackSchema.extend({
  resources: z.array(z.looseObject({})),
  currentOperation: z.looseObject({}).optional().describe('The state of the running operation, if one runs.'),
});

const address = [
  pathParameter('project', NameSchema, 'The Pulumi project.'),
  pathParameter('stack', NameSchema, 'The stack in the project.'),
];
const notDeclared = 'The stack is not declared (PUT it first)';

function decide(decision: 'approve' | 'reject'): Operation {
  return {
    operationId: `${decision}StackOperation`,
    tags: ['Stacks'],
    summary: `${decision === 'approve' ? 'Approve' : 'Reject'} the previewed plan of the up waiting on this stack`,
    parameters: address,
    requestBody: bodyRef('StackDecision'),
    responses: {
      200: jsonResponse('The decision was taken; the operation state now', {
        type: 'object',
        required: ['runId', 'state'],
        properties: {
          runId: { type: 'string' },
          state: { type: 'object' },
        },
      }),
      ...errors({ 404: notDeclared, 409: 'Refused: no operation is waiting, or this principal may not decide it' }),
    },
  };
}

/** Declaring stacks, running operations on them and reading them with their resources. */
export function stackPart(): OpenApiPart {
  return {
    tags: [
      {
        name: 'Stacks',
        description: 'Pulumi stacks of registered programs: declare, preview, up, refresh, destroy, drift checks.',
      },
    ],
    schemas: {
      Stack: schemaOf(StackSchema, 'output'),
      StackDetail: schemaOf(StackDetailSchema, 'output'),
      StackListEntry: schemaOf(StackListEntrySchema, 'output'),
      StackOperationEntry: schemaOf(StackOperationEntrySchema, 'output'),
    },
    requestBodies: {
      StackDeclaration: jsonRequestBody(StackDeclarationSchema),
      StackOperationRequest: jsonRequestBody(StackOperationRequestSchema),
      StackDecision: jsonRequestBody(DecisionSchema, 'An optional comment', false),
    },
    paths: {
      '/v1/stacks': {
        get: {
          operationId: 'listStacks',
          tags: ['Stacks'],
          summary: 'List declared stacks',
          responses: {
            200: jsonResponse('The stacks', {
              type: 'object',
              required: ['stacks'],
              properties: { stacks: { type: 'array', items: ref('StackListEntry') } },
            }),
          },
        },
      },
      '/v1/stacks/{project}/{stack}': {
        get: {
          operationId: 'getStack',
          tags: ['Stacks'],
          summary: 'A stack with its resources and the operation running on it',
          parameters: address,
          responses: {
            200: jsonResponse('The stack', ref('StackDetail')),
            ...errors({ 404: notDeclared }),
          },
        },
        put: {
          operationId: 'declareStack',
          tags: ['Stacks'],
          summary: "Declare a stack, or change a declared stack's config, labels, TTL or drift schedule",
          parameters: address,
          requestBody: bodyRef('StackDeclaration'),
          responses: {
            200: jsonResponse('The declaration was changed', ref('Stack')),
            201: jsonResponse('The stack was declared', ref('Stack')),
            ...errors({
              400: 'Invalid declaration, an unknown program, or config its program refuses; details name each field',
            }),
          },
        },
        delete: {
          operationId: 'deleteStack',
          tags: ['Stacks'],
          summary: 'Forget a stack that holds no resources (destroy it first)',
          parameters: address,
          responses: {
            200: jsonResponse('Forgotten', {
              type: 'object',
              required: ['deleted'],
              properties: { deleted: { type: 'string' } },
            }),
            ...errors({ 404: notDeclared, 409: 'The stack still holds resources, or an operation runs on it' }),
          },
        },
      },
      '/v1/stacks/{project}/{stack}/operations': {
        get: {
          operationId: 'listStackOperations',
          tags: ['Stacks'],
          summary: "A stack's operations, newest first, each with how it ended",
          parameters: [...address, ...queryParameters(OperationsQuerySchema)],
          responses: {
            200: jsonResponse('The operations', {
              type: 'object',
              required: ['operations'],
              properties: { operations: { type: 'array', items: ref('StackOperationEntry') } },
            }),
            ...errors({ 400: 'Invalid limit', 404: notDeclared }),
          },
        },
        post: {
          operationId: 'startStackOperation',
          tags: ['Stacks'],
          summary: 'Run an operation on a stack: preview, up, refresh, destroy or drift',
          parameters: address,
          requestBody: bodyRef('StackOperationRequest'),
          responses: {
            202: jsonResponse('Started, or queued behind the running operation', {
              type: 'object',
              required: ['runId', 'queued', 'links'],
              properties: {
                runId: { type: 'string' },
                queued: { type: 'boolean' },
                links: { type: 'object', properties: { self: { type: 'string' }, stack: { type: 'string' } } },
              },
            }),
            ...errors({
              400:
                'Invalid request: destroy without confirm, approval on an operation other than up; ' +
                'details name each field',
              404: notDeclared,
              409: 'Another operation runs on the stack (details name it); send queue: true to wait in line',
            }),
          },
        },
      },
      '/v1/stacks/{project}/{stack}/approve': { post: decide('approve') },
      '/v1/stacks/{project}/{stack}/reject': { post: decide('reject') },
    },
  };
}
