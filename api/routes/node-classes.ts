/** `GET /v1/node-classes`: each worker pool with its config and the workers polling it now. */
import { Router } from 'express';
import { nodeClassTaskQueue } from '../../workflows/contracts/node-class';
import type { ApiDeps } from '../services/deps';
import { listPollers } from '../services/pollers';

/** Routes that show the worker pools. */
export function nodeClassRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/node-classes', async (_req, res) => {
    const nodeClasses = await Promise.all(
      deps.nodeClasses.map(async (nodeClass) => {
        const taskQueue = nodeClassTaskQueue(deps.taskQueuePrefix, nodeClass.name);
        const workers = await listPollers(deps, taskQueue, 'activity');
        const liveWorkers = workers.filter((w) => w.live).length;
        return { ...nodeClass, taskQueue, liveWorkers, capacity: liveWorkers * nodeClass.concurrency, workers };
      }),
    );
    res.json({ nodeClasses });
  });
  return router;
}
