/** Health and readiness probes, outside `/v1` so load balancers need no token. */
import { Router } from 'express';
import type { ApiDeps } from '../services/deps';

/** `/healthz` answers while the process runs; `/readyz` only while Temporal answers too. */
export function healthRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await deps.client.connection.withDeadline(Date.now() + 2000, () =>
        deps.client.workflowService.describeNamespace({ namespace: deps.namespace }),
      );
      res.json({ status: 'ready', temporal: 'reachable' });
    } catch (err) {
      res.status(503).json({
        error: { code: 'temporal_unavailable', message: `Temporal is not reachable: ${(err as Error).message}` },
      });
    }
  });
  return router;
}
