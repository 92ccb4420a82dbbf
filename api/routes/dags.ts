/**
 * `POST /v1/dags`: start a DAG, sent as JSON or as the YAML a user keeps in a file; and
 * `POST /v1/dags/plan`: check a DAG or task spec and draw its plan, starting nothing.
 */
import { Router, type Request } from 'express';
import { ApiError } from '../errors';
import { bodySourceOf, jsonBody, YAML_TYPES } from '../input/body-parsers';
import { fieldLocator } from '../input/field-positions';
import type { ApiMetrics } from '../metrics';
import { IdempotencyKeySchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import { planSpec } from '../services/plan-spec';
import { startDag } from '../services/start-dag';
import { checkHosts } from '../services/host-check';
import { dagSpecTooLarge, MAX_DAG_SPEC_BYTES, parseDagSpec, parseOr400 } from '../validate';

/** Routes that start DAG runs. */
export function dagRoutes(deps: ApiDeps, metrics: ApiMetrics): Router {
  const router = Router();
  // A spec is at most MAX_DAG_SPEC_BYTES as JSON; four times that leaves YAML room for comments and indentation.
  const specBody = {
    limit: deps.maxDagBodyBytes,
    yaml: true,
    maxYamlBytes: 4 * MAX_DAG_SPEC_BYTES,
    maxValueBytes: MAX_DAG_SPEC_BYTES,
    tooLarge: dagSpecTooLarge,
  };
  // The editor asks on every pause in typing: the text is kept to name lines, and the answer is never cached.
  router.post('/v1/dags/plan', jsonBody({ ...specBody, keepSource: true }), (req, res) => {
    const body = dagBody(req);
    const source = bodySourceOf(req);
    res.setHeader('Cache-Control', 'no-store');
    res.json(planSpec(deps, body, source === undefined ? undefined : fieldLocator(source)));
  });
  router.post('/v1/dags', jsonBody(specBody), async (req, res) => {
    const body = dagBody(req);
    const spec = parseDagSpec(body, deps.nodeClasses, deps.dagLimits);
    const hosts = spec.tasks.map((t, i) => ({ field: `tasks[${i}].host`, nodeClass: t.nodeClass, host: t.host }));
    await checkHosts(deps, hosts, 'DAG spec');
    const rawKey = req.get('idempotency-key');
    const key =
      rawKey === undefined ? undefined : parseOr400(IdempotencyKeySchema, rawKey, 'header', 'Idempotency-Key');
    const started = await startDag(deps, spec, body as Parameters<typeof startDag>[2], key);
    res.locals.runId = started.runId;
    if (started.created) metrics.runsStarted.inc({ kind: 'dag' });
    else res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json({
      runId: started.runId,
      created: started.created,
      links: { self: `/v1/runs/${encodeURIComponent(started.runId)}` },
    });
  });
  return router;
}

function dagBody(req: Request): unknown {
  if (req.is(['application/json', ...YAML_TYPES])) return req.body;
  throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json or application/yaml', [
    { field: 'Content-Type', message: 'must be application/json or application/yaml' },
  ]);
}
