/** The document's part for the repository registry and the forges' webhook deliveries. */
import { z } from 'zod';
import { githubWebhook } from '../pipelines/github-webhook';
import { gitlabWebhook } from '../pipelines/gitlab-webhook';
import { FORGE_PROVIDERS } from '../../db/stores/repository-store';
import type { ForgeWebhook } from '../pipelines/webhook-events';
import { CreateRepositoryBodySchema, RepositoryNameSchema } from '../routes/repositories';
import {
  errors,
  bodyRef,
  jsonRequestBody,
  jsonResponse,
  pathParameter,
  ref,
  schemaOf,
  type OpenApiPart,
  type Operation,
} from './shared';

/** A registered repository as the API shows it: whether secrets are set, never their values. */
const RepositorySchema = z.object({
  name: z.string(),
  provider: z.enum(FORGE_PROVIDERS),
  cloneUrl: z.string().describe('Without any password it carried.'),
  pipelinePath: z.string(),
  webhookSecretSet: z.boolean(),
  statusApiUrl: z.string().nullable(),
  statusTokenSet: z.boolean(),
  createdAt: z.string(),
  createdBy: z.string(),
  schedule: z
    .object({
      id: z.string().describe('The Temporal Schedule id, <prefix>-pipeline-<repository>.'),
      outcome: z.enum(['created', 'updated', 'unchanged', 'deleted', 'absent']),
      crons: z.array(z.string()).optional(),
      reason: z.string().optional().describe('Why the repository has no schedule.'),
    })
    .optional()
    .describe("On registration only: the schedule of the pipeline's on.schedule, read at the default branch's head."),
});

/** What a delivery led to: a run, or the reason it started none. */
const WebhookAcceptedSchema = z.object({
  started: z.boolean(),
  runId: z.string().optional(),
  created: z.boolean().optional().describe('false for a redelivery of a delivery that started a run already.'),
  reason: z
    .string()
    .optional()
    .describe(
      'Why nothing started: an event Capstan ignores, no pipeline file, no matching trigger (branch, tag or path filters).',
    ),
  event: z.string().optional(),
  repository: z.string().optional(),
  sha: z.string().optional(),
  branch: z.string().optional().describe('Empty for a tag push.'),
  tag: z.string().optional().describe('The tag of a tag push (refs/tags/<tag>).'),
  schedule: z
    .object({
      id: z.string(),
      outcome: z.enum(['created', 'updated', 'unchanged', 'deleted', 'absent']),
      crons: z.array(z.string()).optional(),
      reason: z.string().optional(),
    })
    .optional()
    .describe("A push to the default branch: what it did to the pipeline's Temporal Schedule."),
  links: z.object({ self: z.string() }).optional(),
});

const header = (name: string, description: string) => ({
  name,
  in: 'header',
  required: false,
  description,
  schema: { type: 'string' },
});

function delivery(forge: ForgeWebhook, signature: string): Operation {
  const name = forge.provider === 'github' ? 'GitHub' : 'GitLab';
  return {
    operationId: `receive${name}Webhook`,
    tags: ['Webhooks'],
    summary: `A ${name} webhook delivery: a push or merge/pull request starts the repository's pipeline at that commit`,
    description: 'No bearer token: the delivery proves itself with the webhook secret of the repository it names.',
    parameters: [
      header(forge.signatureHeader, signature),
      header(forge.eventHeader, 'The event: push, pull or merge request, ping'),
      ...forge.deliveryHeaders.map((name) => header(name, 'The delivery id: a redelivery starts nothing new')),
    ],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: { type: 'object', description: `${name}'s event payload` } },
        // GitHub's default for a new hook: the signature covers the form body as sent; payload= is decoded after the check.
        ...(forge.provider === 'github'
          ? {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: ['payload'],
                  properties: { payload: { type: 'string', description: 'The JSON event payload' } },
                },
              },
            }
          : {}),
      },
    },
    responses: {
      200: jsonResponse('A ping, answered, naming its repository or (an organization hook) its organization', {
        type: 'object',
        required: ['pong'],
        properties: { pong: { const: true }, repository: { type: 'string' }, organization: { type: 'string' } },
      }),
      202: jsonResponse('A run started, found (redelivery), or nothing started and why', ref('WebhookAccepted')),
      ...errors({
        400: 'Malformed JSON or form body, or an event or delivery header missing',
        401: 'Not signed with the secret of a registered repository of that name; an unknown repository gets the same answer; nothing started',
        415: forge.provider === 'github' ? 'Body is neither JSON nor form-encoded' : 'Body is not JSON',
        422: 'The pipeline file at that commit is invalid (details list every issue), or the commit cannot be fetched',
        503: "Capstan's database is not reachable; nothing started, the forge may redeliver",
      }),
    },
  };
}

/** The repository registry (admin) and the webhook routes of each forge. */
export function repositoryPart(): OpenApiPart {
  return {
    tags: [
      { name: 'Repositories', description: 'Repositories whose webhooks start pipelines (admin).' },
      { name: 'Webhooks', description: 'Deliveries from GitHub and GitLab, checked against the repository secret.' },
    ],
    schemas: {
      Repository: schemaOf(RepositorySchema, 'output'),
      WebhookAccepted: schemaOf(WebhookAcceptedSchema, 'output'),
    },
    requestBodies: {
      CreateRepositoryRequest: jsonRequestBody(CreateRepositoryBodySchema),
    },
    paths: {
      '/v1/repositories': {
        post: {
          operationId: 'createRepository',
          tags: ['Repositories'],
          minimumRole: 'admin',
          summary: 'Register a repository: where its pipeline is, its webhook secret, where commit statuses go',
          requestBody: bodyRef('CreateRepositoryRequest'),
          responses: {
            201: jsonResponse('The repository, without secrets', ref('Repository')),
            ...errors({ 409: 'A repository of that name is registered already', 415: 'Body is not JSON' }),
          },
        },
        get: {
          operationId: 'listRepositories',
          tags: ['Repositories'],
          minimumRole: 'admin',
          summary: 'List the registered repositories',
          responses: {
            200: jsonResponse('The repositories', {
              type: 'object',
              required: ['repositories'],
              properties: {
                repositories: { type: 'array', items: ref('Repository') },
              },
            }),
          },
        },
      },
      '/v1/repositories/{name}': {
        delete: {
          operationId: 'deleteRepository',
          tags: ['Repositories'],
          minimumRole: 'admin',
          summary: 'Remove a repository',
          parameters: [
            pathParameter(
              'name',
              RepositoryNameSchema,
              'owner/name as it is, slashes included (acme/web), or with %2F',
            ),
          ],
          responses: {
            200: jsonResponse('The removed repository', ref('Repository')),
            ...errors({ 404: 'No such repository' }),
          },
        },
      },
      '/v1/webhooks/github': {
        post: delivery(githubWebhook, 'sha256=<HMAC-SHA256 of the raw body with the webhook secret>'),
      },
      '/v1/webhooks/gitlab': { post: delivery(gitlabWebhook, 'The webhook secret') },
    },
  };
}
