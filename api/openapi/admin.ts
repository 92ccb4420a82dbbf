/** The document's part for administration: API tokens and the audit log (admin only). */
import { z } from 'zod';
import { ROLES } from '../../db/stores/token-roles';
import { AuditQuerySchema, CreateTokenBodySchema, TokenIdSchema } from '../auth/schemas';
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
} from './shared';

/** A token as the API shows it: never its secret or hash. */
const TokenSchema = z.object({
  id: z.string(),
  principal: z.string(),
  role: z.enum(ROLES),
  status: z.enum(['active', 'revoked', 'expired']),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

/** A new token, with the secret shown this once. */
const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().describe('The secret to send as Authorization: Bearer <token>.'),
});

/** One audited request. */
const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  requestId: z.string(),
  principal: z.string(),
  tokenId: z.string().nullable(),
  action: z.string().describe('e.g. dag.start, run.cancel, token.create, token.revoke'),
  method: z.string(),
  path: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['pending', 'succeeded', 'rejected', 'failed']),
  status: z.number().int().nullable(),
  finishedAt: z.string().nullable(),
});

/** Tokens and the audit log. */
export function adminPart(): OpenApiPart {
  return {
    tags: [
      { name: 'Tokens', description: 'API tokens: who they are for and their role (admin).' },
      { name: 'Audit', description: 'Every state-changing request, with who made it and how it ended (admin).' },
    ],
    schemas: {
      Token: schemaOf(TokenSchema, 'output'),
      CreatedToken: schemaOf(CreatedTokenSchema, 'output'),
      AuditEntry: schemaOf(AuditEntrySchema, 'output'),
    },
    requestBodies: {
      CreateTokenRequest: jsonRequestBody(CreateTokenBodySchema),
    },
    paths: {
      '/v1/tokens': {
        post: {
          operationId: 'createToken',
          tags: ['Tokens'],
          summary: 'Create a token; the answer holds its secret, shown this once',
          requestBody: bodyRef('CreateTokenRequest'),
          responses: {
            201: jsonResponse('The token with its secret in `token`', ref('CreatedToken')),
            ...errors({ 415: 'Body is not JSON' }),
          },
        },
        get: {
          operationId: 'listTokens',
          tags: ['Tokens'],
          summary: 'List tokens, without secrets or hashes',
          responses: {
            200: jsonResponse('The tokens', {
              type: 'object',
              required: ['tokens'],
              properties: { tokens: { type: 'array', items: ref('Token') } },
            }),
          },
        },
      },
      '/v1/tokens/{id}': {
        delete: {
          operationId: 'revokeToken',
          tags: ['Tokens'],
          summary: 'Revoke a token; revoking twice is no error',
          parameters: [pathParameter('id', TokenIdSchema, 'The token id.')],
          responses: { 200: jsonResponse('The revoked token', ref('Token')), ...errors({ 404: 'Unknown token' }) },
        },
      },
      '/v1/audit': {
        get: {
          operationId: 'listAuditEntries',
          tags: ['Audit'],
          summary: 'The audit log of state-changing requests, newest first',
          parameters: queryParameters(AuditQuerySchema),
          responses: {
            200: jsonResponse('A page of entries', {
              type: 'object',
              required: ['entries', 'nextCursor'],
              properties: {
                entries: { type: 'array', items: ref('AuditEntry') },
                nextCursor: {
                  type: ['string', 'null'],
                  description: 'Pass as cursor for the next page; null on the last.',
                },
              },
            }),
          },
        },
      },
    },
  };
}
