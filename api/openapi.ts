/** The OpenAPI document, generated from the same zod schemas that validate requests. */
import { z } from 'zod';
import { DagSpecSchema } from '../workflows/contracts/dag-spec';
import { OUTPUT_REF_PATTERN } from '../workflows/contracts/output-ref';
import { TaskSpecSchema } from '../workflows/contracts/task-spec';
import { AuditQuerySchema, CreateTokenBodySchema } from './auth/schemas';
import { UsageQuerySchema } from './routes/usage';
import { CreateRepositoryBodySchema } from './routes/repositories';
import { ErrorBodySchema, ListRunsQuerySchema } from './schemas';

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => ({
  'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any' }) },
});
const errorResponse = (description: string) => ({ description, content: json(ErrorBodySchema) });

/** Builds the OpenAPI 3.1 document of the API. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const listQuery = z.toJSONSchema(ListRunsQuerySchema, { io: 'input' }) as { properties: Record<string, unknown> };
  const runIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.1.0',
    info: { title: 'Capstan API', version: '1', description: 'Start and inspect durable runs on Temporal.' },
    // Every operation needs a bearer token unless it says `security: []`; roles: viewer reads, operator also changes, admin also manages tokens and reads the audit log.
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (cap_…); 401 without a valid one, 403 when its role is too low, 429 over its rate limit.' },
      },
    },
    paths: {
      '/v1/tasks': {
        post: {
          summary: 'Start a shell task on a node class',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }],
          requestBody: { required: true, content: json(TaskSpecSchema, 'input') },
          responses: {
            202: { description: 'Run started (or, with a replayed Idempotency-Key, the run it started before)' },
            400: errorResponse('Invalid spec; details name each field'),
            413: errorResponse('Body too large'),
            415: errorResponse('Body is not JSON'),
            422: errorResponse('Idempotency-Key reused with a different body'),
          },
        },
      },
      '/v1/runs': {
        get: {
          summary: 'List runs (running first, then most recently finished)',
          parameters: Object.entries(listQuery.properties).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
          responses: { 200: { description: 'A page of runs and nextCursor' }, 400: errorResponse('Invalid query') },
        },
      },
      '/v1/runs/{id}': {
        get: {
          summary: 'A run with live state, result or failure',
          parameters: [runIdParam],
          responses: { 200: { description: 'The run' }, 404: errorResponse('Unknown run') },
        },
      },
      '/v1/runs/{id}/graph': {
        get: {
          summary: "A DAG run's graph with live node states: SVG (default), Mermaid text or JSON",
          parameters: [runIdParam, { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['svg', 'mermaid', 'json'], default: 'svg' } }],
          responses: { 200: { description: 'image/svg+xml, text/plain (Mermaid) or application/json' }, 400: errorResponse('Invalid format'), 404: errorResponse('Unknown run'), 409: errorResponse('Not a DAG run') },
        },
      },
      '/v1/runs/{id}/cancel': {
        post: {
          summary: 'Cancel a running run; its process groups are killed',
          parameters: [runIdParam],
          responses: { 202: { description: 'Cancellation requested' }, 404: errorResponse('Unknown run'), 409: errorResponse('Run is not running') },
        },
      },
      '/v1/dags': {
        post: {
          summary: 'Start a DAG of tasks (JSON, or YAML with Content-Type application/yaml)',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }],
          requestBody: { required: true, content: { ...json(DagSpecSchema, 'input'), 'application/yaml': { schema: { type: 'string' } } } },
          responses: {
            202: { description: 'Run started (or, with a replayed Idempotency-Key, the run it started before)' },
            400: errorResponse('Invalid spec: duplicate ids, unknown dependencies, cycles, unknown classes, bad expressions, size'),
            413: errorResponse('Body too large'),
            415: errorResponse('Neither JSON nor YAML'),
            422: errorResponse('Idempotency-Key reused with a different body'),
          },
        },
      },
      '/v1/runs/{id}/retry': {
        post: {
          summary: 'Retry a failed or cancelled DAG run from its failure, reusing what succeeded',
          parameters: [runIdParam],
          responses: { 202: { description: '{ runId, reused, rerun }' }, 404: errorResponse('Unknown run'), 409: errorResponse('Not a failed or cancelled DAG run') },
        },
      },
      '/v1/runs/{id}/events': {
        get: {
          summary: 'Server-sent events: progress (status, counts, changed nodes), then end',
          parameters: [runIdParam],
          responses: { 200: { description: 'text/event-stream' }, 404: errorResponse('Unknown run') },
        },
      },
      '/v1/outputs/{reference}': {
        get: {
          summary: 'The content of a task output kept in the output store (an output value of the form capstan-ref:sha256:<hex>:<bytes>)',
          parameters: [{ name: 'reference', in: 'path', required: true, schema: { type: 'string', pattern: OUTPUT_REF_PATTERN } }],
          responses: {
            200: { description: 'application/octet-stream: the content, exactly as the task wrote it' },
            400: errorResponse('Not an output reference'),
            404: errorResponse('No stored output for the reference'),
          },
        },
      },
      '/v1/tokens': {
        post: {
          summary: 'Create a token (admin); the answer holds its secret, shown this once',
          requestBody: { required: true, content: json(CreateTokenBodySchema, 'input') },
          responses: { 201: { description: 'The token with its secret in `token`' }, 400: errorResponse('Invalid body; details name each field'), 403: errorResponse('Not an admin token') },
        },
        get: { summary: 'List tokens (admin), without secrets or hashes', responses: { 200: { description: '{ tokens }' }, 403: errorResponse('Not an admin token') } },
      },
      '/v1/tokens/{id}': {
        delete: {
          summary: 'Revoke a token (admin); revoking twice is no error',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The revoked token' }, 403: errorResponse('Not an admin token'), 404: errorResponse('Unknown token') },
        },
      },
      '/v1/audit': {
        get: {
          summary: 'The audit log of state-changing requests (admin), newest first',
          parameters: Object.entries((z.toJSONSchema(AuditQuerySchema, { io: 'input' }) as { properties: Record<string, unknown> }).properties)
            .map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
          responses: { 200: { description: '{ entries, nextCursor }' }, 400: errorResponse('Invalid query'), 403: errorResponse('Not an admin token') },
        },
      },
      '/v1/repositories': {
        post: {
          summary: 'Register a repository (admin): where its pipeline is, its webhook secret, where commit statuses go',
          requestBody: { required: true, content: json(CreateRepositoryBodySchema, 'input') },
          responses: { 201: { description: 'The repository, without secrets' }, 400: errorResponse('Invalid body; details name each field'), 403: errorResponse('Not an admin token'), 409: errorResponse('A repository of that name is registered') },
        },
        get: { summary: 'List repositories (admin); whether a secret or token is set, never its value', responses: { 200: { description: '{ repositories }' }, 403: errorResponse('Not an admin token') } },
      },
      '/v1/repositories/{name}': {
        delete: {
          summary: 'Remove a repository (admin); the name goes in the path as it is, slashes included (acme/web), or with %2F',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The removed repository' }, 403: errorResponse('Not an admin token'), 404: errorResponse('No such repository') },
        },
      },
      ...Object.fromEntries(([
        ['github', 'X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the webhook secret>; X-GitHub-Event: push, pull_request or ping; X-GitHub-Delivery'],
        ['gitlab', 'X-Gitlab-Token: the webhook secret; X-Gitlab-Event: Push Hook or Merge Request Hook; Idempotency-Key or X-Gitlab-Event-UUID'],
      ] as const).map(([forge, headers]) => [`/v1/webhooks/${forge}`, {
        post: {
          summary: `A ${forge} webhook delivery (no bearer token; ${headers}): a push or pull request starts the repository's pipeline at that commit`,
          security: [],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { type: 'object' } },
              // GitHub's default for a new hook; signed as sent, payload= decoded after the check.
              ...(forge === 'github' ? { 'application/x-www-form-urlencoded': { schema: {
                type: 'object', required: ['payload'],
                properties: { payload: { type: 'string', description: 'The JSON payload' } },
              } } } : {}),
            },
          },
          responses: {
            200: { description: 'A ping, answered: { pong: true } with its repository or organization' },
            202: { description: '{ started: true, runId, created } (created: false for a redelivery), or { started: false, reason } when the delivery starts nothing' },
            400: errorResponse('Malformed JSON, or a header or payload field missing'),
            401: errorResponse('Not signed with the secret of a registered repository of that name; an unknown '
              + 'repository gets the same answer; nothing started'),
            415: errorResponse(forge === 'github' ? 'Body is neither JSON nor form-encoded' : 'Body is not JSON'),
            422: errorResponse('The pipeline file at that commit is invalid (details list every issue), or the commit cannot be fetched'),
          },
        },
      }])),
      '/v1/usage': {
        get: {
          summary: 'Metered machine time of task attempts, grouped by node class, run, day (UTC) or label:<key>, over a window (default: the last 7 days)',
          parameters: Object.entries((z.toJSONSchema(UsageQuerySchema, { io: 'input' }) as { properties: Record<string, unknown> }).properties)
            .map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
          responses: { 200: { description: '{ from, to, groupBy, groups: [{ key, attempts, succeeded, failed, …, seconds, wastedSeconds }], totals }' }, 400: errorResponse('Invalid query') },
        },
      },
      '/v1/runs/{id}/attempts': {
        get: {
          summary: 'Every metered attempt of one run: task, attempt, node class, worker, start, end, duration, outcome, exit code',
          parameters: [runIdParam],
          responses: { 200: { description: '{ runId, attempts }' } },
        },
      },
      '/v1/node-classes': { get: { summary: 'Worker pools with their live workers', responses: { 200: { description: 'Node classes' } } } },
      '/healthz': { get: { summary: 'Process is up', security: [], responses: { 200: { description: 'ok' } } } },
      '/readyz': { get: { summary: 'Temporal is reachable', security: [], responses: { 200: { description: 'ready' }, 503: errorResponse('Temporal unreachable') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { 200: { description: 'text/plain exposition format' } } } },
    },
  };
}
