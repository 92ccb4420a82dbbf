/** Request schemas of the token and audit routes; the same objects validate requests and build the OpenAPI document. */
import { z } from 'zod';
import { ROLES } from '../../db/stores/token-roles';

/** Longest lifetime a token may be given: ten years. */
const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400;

/** Who a token is for: a person, a team or a machine (`alice`, `ci:deploy`, `bob@example.com`). */
export const PrincipalSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@:+/-]{0,127}$/,
    'must be 1 to 128 letters, digits or . _ @ : + / -, starting with a letter or digit',
  );

/** Body of `POST /v1/tokens`; at most one of expiresAt and expiresInSeconds. */
export const CreateTokenBodySchema = z
  .strictObject({
    principal: PrincipalSchema,
    role: z.enum(ROLES),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('when the token stops working (ISO 8601, in the future)'),
    expiresInSeconds: z
      .number()
      .int()
      .min(60)
      .max(MAX_LIFETIME_SECONDS)
      .optional()
      .describe('lifetime from now, in seconds'),
  })
  .superRefine((body, ctx) => {
    if (body.expiresAt !== undefined && body.expiresInSeconds !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiresInSeconds'],
        message: 'give expiresAt or expiresInSeconds, not both',
      });
    }
    if (body.expiresAt !== undefined && Date.parse(body.expiresAt) <= Date.now()) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be in the future' });
    }
  });

/** A token id in a path. */
export const TokenIdSchema = z.string().min(1).max(200);

/** A cursor of the audit listing: the id an earlier page ended at, as the API returned it. */
export const AuditCursorSchema = z.string().regex(/^\d{1,18}$/, 'not a nextCursor this API returned');

/** Query string of `GET /v1/audit`. */
export const AuditQuerySchema = z.strictObject({
  principal: z.string().min(1).max(200).optional(),
  action: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('e.g. task.start, dag.start, run.cancel, run.retry, token.create, token.revoke'),
  target: z.string().min(1).max(1000).optional().describe('a run id or token id'),
  since: z.iso.datetime({ offset: true }).optional().describe('entries at or after this time'),
  until: z.iso.datetime({ offset: true }).optional().describe('entries before this time'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: AuditCursorSchema.optional(),
});

/** Body of `POST /v1/session`: the token to sign in with, in the body and never in a URL. */
export const SignInBodySchema = z.strictObject({
  token: z.string().min(1).max(2048).describe('An API token (cap_…); the session acts as it, with its role'),
});

/** A console session as `POST` and `GET /v1/session` answer it. */
export const SessionViewSchema = z.object({
  principal: z.string(),
  role: z.enum(ROLES),
  tokenId: z.string().describe('The token the session acts as; revoking it ends the session'),
  expiresAt: z
    .string()
    .describe('When the session ends (ISO 8601): CAPSTAN_SESSION_HOURS after sign-in, or the token expiry if sooner'),
  csrfToken: z
    .string()
    .describe(
      'Send it as header X-Capstan-CSRF with every request that is not GET or HEAD made with the session cookie',
    ),
});
