/** `POST /v1/tasks`: start a shell task on a node class, sent as JSON or YAML. */
import { Router } from 'express';
import { jsonBody, YAML_TYPES } from '../input/body-parsers';
import { ApiError } from '../errors';
import type { ApiMetrics } from '../metrics';
import { IdempotencyKeySchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import { startTask } from '../services/start-task';
import { checkHosts } from '../services/host-check';
import { parseOr400, parseTaskSpec } from '../validate';

/** Routes that start task runs. */
export function taskRoutes(deps: ApiDeps, metrics: ApiMetrics): Router {
  const router = Router();
  // YAML too, as for DAGs: the console's editor starts what its author wrote, task or DAG, as written.
  router.post('/v1/tasks', jsonBody({ limit: deps.maxBodyBytes, yaml: true }), async (req, res) => {
    if (!req.is(['application/json', ...YAML_TYPES])) {
      throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json or application/yaml', [
        { field: 'Content-Type', message: 'must be application/json or application/yaml' },
      ]);
    }
    const spec = parseTaskSpec(req.body, deps.nodeClasses);
    await checkHosts(deps, [{ field: 'host', nodeClass: spec.nodeClass, host: spec.host }], 'task spec');
    const rawKey = req.get('idempotency-key');
    const key =
      rawKey === undefined ? undefined : parseOr400(IdempotencyKeySchema, rawKey, 'header', 'Idempotency-Key');
    const started = await startTask(deps, spec, key);
    res.locals.runId = started.runId;
    if (started.created) metrics.runsStarted.inc({ kind: 'task' });
    else res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json({
      runId: started.runId,
      created: started.created,
      links: { self: `/v1/runs/${encodeURIComponent(started.runId)}` },
    });
  });
  return router;
}
