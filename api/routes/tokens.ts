/** API tokens (admin only): `POST /v1/tokens` creates one and shows its secret once, `GET` lists, `DELETE /:id` revokes. */
import { Router } from 'express';
import { jsonBody } from '../input/body-parsers';
import { principalOf } from '../auth/authenticate';
import { requireRole } from '../auth/authorize';
import type { AuthGuard } from '../auth/token-check';
import { withDatabase } from '../auth/database-errors';
import { CreateTokenBodySchema, TokenIdSchema } from '../auth/schemas';
import { createToken, listTokens, revokeToken, tokenView } from '../../db/stores/token-store';
import { ApiError } from '../errors';
import type { ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';

/** Routes that manage tokens. */
export function tokenRoutes(deps: ApiDeps, guard: AuthGuard): Router {
  const router = Router();
  router.use('/v1/tokens', requireRole('admin'));
  router.post('/v1/tokens', jsonBody({ limit: deps.maxBodyBytes }), async (req, res) => {
    if (!req.is('application/json')) {
      throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json', [
        { field: 'Content-Type', message: 'must be application/json' },
      ]);
    }
    const body = parseOr400(CreateTokenBodySchema, req.body, 'token request');
    const expiresAt =
      body.expiresAt !== undefined
        ? new Date(body.expiresAt)
        : body.expiresInSeconds !== undefined
          ? new Date(Date.now() + body.expiresInSeconds * 1000)
          : undefined;
    const createdBy = principalOf(res)!.name;
    const { record, secret } = await withDatabase('creating the token', () =>
      createToken(deps.db, { principal: body.principal, role: body.role, createdBy, expiresAt }),
    );
    res.locals.auditTarget = record.id;
    // The secret is in this answer and nowhere else; no cache may keep a copy.
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ ...tokenView(record), token: secret });
  });
  router.get('/v1/tokens', async (_req, res) => {
    const tokens = await withDatabase('listing tokens', () => listTokens(deps.db));
    const now = new Date();
    res.json({ tokens: tokens.map((t) => tokenView(t, now)) });
  });
  router.delete('/v1/tokens/:id', async (req, res) => {
    const id = parseOr400(TokenIdSchema, req.params.id, 'token id', 'id');
    const token = await withDatabase('revoking the token', () => revokeToken(deps.db, id));
    if (!token) throw new ApiError(404, 'token_not_found', `no token with id "${id}"`);
    // This process stops honouring it now; others within TOKEN_CACHE_TTL_MS (see auth/token-cache.ts).
    guard.tokens.forget(id);
    res.json(tokenView(token));
  });
  return router;
}
