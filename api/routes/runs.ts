/** Reading and cancelling runs: `GET /v1/runs`, `GET /v1/runs/:id`, `POST /v1/runs/:id/cancel`. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { ApiError } from '../errors';
import { jsonBody } from '../input/body-parsers';
import { IdempotencyKeySchema, ListRunsQuerySchema, NodePageSchema, RetryBodySchema, RunIdSchema } from '../schemas';
import { rerunPipeline } from '../services/rerun-pipeline';
import { retryDag } from '../services/retry-dag';
import type { ApiDeps } from '../services/deps';
import { getRun } from '../services/get-run';
import { listRuns } from '../services/list-runs';
import { runSummary } from '../services/run-views';
import { parseOr400 } from '../validate';

/** Routes over existing runs. */
export function runRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/runs', async (req, res) => {
    const query = parseOr400(ListRunsQuerySchema, req.query, 'query', 'query');
    res.json(await listRuns(deps, query));
  });
  router.get('/v1/runs/:id', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    res.locals.runId = runId;
    const page = parseOr400(NodePageSchema, req.query, 'query', 'query');
    res.json(await getRun(deps, runId, page));
  });
  router.post('/v1/runs/:id/cancel', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    res.locals.runId = runId;
    const handle = deps.client.workflow.getHandle(runId);
    const summary = runSummary(await handle.describe());
    if (summary.status !== 'running') {
      throw new ApiError(
        409,
        'run_not_running',
        `run "${runId}" is ${summary.status}; only a running run can be cancelled`,
      );
    }
    try {
      await handle.cancel();
    } catch (err) {
      // It was running a moment ago: it finished in between.
      if (err instanceof WorkflowNotFoundError)
        throw new ApiError(409, 'run_not_running', `run "${runId}" finished before it could be cancelled`);
      throw err;
    }
    res.status(202).json({ runId, status: 'cancelling' });
  });
  router.post('/v1/runs/:id/retry', jsonBody({ limit: 65_536 }), async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    const rawKey = req.get('idempotency-key');
    const key =
      rawKey === undefined ? undefined : parseOr400(IdempotencyKeySchema, rawKey, 'header', 'Idempotency-Key');
    const body = parseOr400(RetryBodySchema, req.body ?? {}, 'request body');
    const kind = runSummary(await deps.client.workflow.getHandle(runId).describe()).kind;
    if (kind !== 'pipeline' && body.job !== undefined)
      throw new ApiError(422, 'invalid_request', `run "${runId}" is a ${kind} run; only pipeline runs re-run one job`, [
        { field: 'job', message: 'only for pipeline runs' },
      ]);
    const retry = kind === 'pipeline' ? await rerunPipeline(deps, runId, body, key) : await retryDag(deps, runId, key);
    res.locals.runId = retry.runId;
    res.status(202).json({ ...retry, retryOf: runId, links: { self: `/v1/runs/${encodeURIComponent(retry.runId)}` } });
  });
  return router;
}
