/** `POST /v1/dags`: start a DAG, sent as JSON or as the YAML a user keeps in a file. */
import express, { Router, type Request } from 'express';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ApiError } from '../errors';
import type { ApiMetrics } from '../metrics';
import { IdempotencyKeySchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import { startDag } from '../services/start-dag';
import { parseDagSpec, parseOr400 } from '../validate';

/** The media types a DAG may be sent as YAML with. */
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** Routes that start DAG runs. */
export function dagRoutes(deps: ApiDeps, metrics: ApiMetrics): Router {
  const router = Router();
  router.post(
    '/v1/dags',
    express.json({ limit: deps.maxDagBodyBytes }),
    express.text({ limit: deps.maxDagBodyBytes, type: YAML_TYPES }),
    async (req, res) => {
      const body = dagBody(req);
      const spec = parseDagSpec(body, deps.nodeClasses, deps.dagLimits);
      const rawKey = req.get('idempotency-key');
      const key = rawKey === undefined ? undefined : parseOr400(IdempotencyKeySchema, rawKey, 'header', 'Idempotency-Key');
      const started = await startDag(deps, spec, body as Parameters<typeof startDag>[2], key);
      res.locals.runId = started.runId;
      if (started.created) metrics.runsStarted.inc({ kind: 'dag' });
      else res.setHeader('Idempotent-Replayed', 'true');
      res.status(202).json({ runId: started.runId, created: started.created, links: { self: `/v1/runs/${encodeURIComponent(started.runId)}` } });
    },
  );
  return router;
}

function dagBody(req: Request): unknown {
  if (req.is(YAML_TYPES)) {
    try {
      return parseYaml(req.body as string);
    } catch (err) {
      const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
      throw new ApiError(400, 'malformed_yaml', `request body is not valid YAML${line ? ` (line ${line})` : ''}`, [
        { field: '(body)', message: (err as Error).message },
      ]);
    }
  }
  if (req.is('application/json')) return req.body;
  throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json or application/yaml', [
    { field: 'Content-Type', message: 'must be application/json or application/yaml' },
  ]);
}
