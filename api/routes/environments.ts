/** Deploy environments: `GET /v1/environments` (what runs in each now) and `GET /v1/environments/:name/deployments` (its history). */
import { Router } from 'express';
import { z } from 'zod';
import { deploymentsOf, latestDeployments } from '../../db/stores/deployments';
import type { ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';

/** An environment's name in a path. */
export const EnvironmentNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase environment name');
/** Query string of `GET /v1/environments/:name/deployments`. */
export const HistoryQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/** Routes over the deploy history that pipeline runs record. */
export function environmentRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/environments', async (_req, res) => {
    res.json({
      environments: (await latestDeployments(deps.db)).map((current) => ({ name: current.environment, current })),
    });
  });
  router.get('/v1/environments/:name/deployments', async (req, res) => {
    const name = parseOr400(EnvironmentNameSchema, req.params.name, 'environment', 'name');
    const { limit } = parseOr400(HistoryQuerySchema, req.query, 'query', 'query');
    res.json({ environment: name, deployments: await deploymentsOf(deps.db, name, limit) });
  });
  return router;
}
