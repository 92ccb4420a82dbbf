/** `GET /v1/node-classes`: each worker pool with its config, the workers polling it now, busy slots and queued work. */
import { Router } from 'express';
import type { ApiDeps } from '../services/deps';
import { listNodeClassViews } from '../services/node-class-views';

/** Routes that show the worker pools. */
export function nodeClassRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/node-classes', async (_req, res) => {
    res.json({ nodeClasses: await listNodeClassViews(deps) });
  });
  return router;
}
