/** `GET /v1/workers` and `GET /v1/workers/:identity/reports`: the fleet registry, each worker's health and history. */
import { Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../errors';
import type { ApiDeps } from '../services/deps';
import { listWorkerViews, workerReportHistory } from '../services/worker-views';
import { parseOr400 } from '../validate';

/** Query string of `GET /v1/workers`. */
export const WorkersQuerySchema = z.strictObject({
  nodeClass: z.string().min(1).max(200).optional().describe('Only the workers of this node class.'),
  state: z.enum(['live', 'lost', 'stopped']).optional().describe('Only the workers in this state.'),
});

/** Query string of `GET /v1/workers/:identity/reports`. */
export const WorkerReportsQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(1000))
    .default(100)
    .describe('Most reports returned, newest first (1 to 1000).'),
});

/** A worker identity as Temporal gives it (`host/class/pid`); it holds slashes, so it is sent percent-encoded. */
export const WorkerIdentitySchema = z.string().min(1).max(1000);

/** Routes over the fleet registry. */
export function workerRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/workers', async (req, res) => {
    const query = parseOr400(WorkersQuerySchema, req.query, 'query', 'query');
    if (query.nodeClass !== undefined && !deps.nodeClasses.some((c) => c.name === query.nodeClass)) {
      const valid = deps.nodeClasses.map((c) => c.name).join(', ');
      const message = `unknown node class "${query.nodeClass}"; valid: ${valid}`;
      throw new ApiError(400, 'invalid_request', `invalid query: query.nodeClass: ${message}`, [
        { field: 'query.nodeClass', message },
      ]);
    }
    const workers = await listWorkerViews(deps, query.nodeClass);
    res.json({ workers: query.state ? workers.filter((w) => w.state === query.state) : workers });
  });
  router.get('/v1/workers/:identity/reports', async (req, res) => {
    const identity = parseOr400(WorkerIdentitySchema, req.params.identity, 'worker identity', 'identity');
    const { limit } = parseOr400(WorkerReportsQuerySchema, req.query, 'query', 'query');
    res.json(await workerReportHistory(deps, identity, limit));
  });
  return router;
}
