/** `GET /v1/usage` (machine time by node class, run, day or label) and `GET /v1/runs/:id/attempts` (one run's metered attempts). */
import { Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../errors';
import { RunIdSchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import { attemptsOfRun, usageByGroup, type UsageGroupBy } from '../../db/stores/usage-queries';
import { parseOr400 } from '../validate';

const DAY_MS = 86_400_000;
/** Longest window one request may aggregate, so one query cannot scan years of rows. */
const MAX_WINDOW_DAYS = 366;

/** Query string of `GET /v1/usage`. */
export const UsageQuerySchema = z.strictObject({
  groupBy: z
    .union([
      z.enum(['nodeClass', 'run', 'day']),
      z.string().regex(/^label:[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/, 'must be nodeClass, run, day or label:<key>'),
    ])
    .default('nodeClass')
    .describe('nodeClass, run, day (UTC) or label:<key>'),
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Start of the window (inclusive); default: 7 days before `to`.'),
  to: z.iso.datetime({ offset: true }).optional().describe('End of the window (exclusive); default: now.'),
  runId: z.string().min(1).max(1000).optional(),
  nodeClass: z.string().min(1).max(200).optional(),
});

/** Routes over the metering records. */
export function usageRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/usage', async (req, res) => {
    const query = parseOr400(UsageQuerySchema, req.query, 'query', 'query');
    const to = query.to === undefined ? new Date() : new Date(query.to);
    const from = query.from === undefined ? new Date(to.getTime() - 7 * DAY_MS) : new Date(query.from);
    if (from >= to)
      throw new ApiError(400, 'invalid_request', 'query.from must be before query.to', [
        { field: 'query.from', message: 'must be before to' },
      ]);
    if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
      throw new ApiError(400, 'invalid_request', `the window may span at most ${MAX_WINDOW_DAYS} days`, [
        { field: 'query.from', message: `at most ${MAX_WINDOW_DAYS} days before to` },
      ]);
    }
    const usage = await usageByGroup(deps.db, {
      from,
      to,
      groupBy: query.groupBy as UsageGroupBy,
      runId: query.runId,
      nodeClass: query.nodeClass,
    });
    res.json({ from: from.toISOString(), to: to.toISOString(), groupBy: query.groupBy, ...usage });
  });
  router.get('/v1/runs/:id/attempts', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    const attempts = await attemptsOfRun(deps.db, runId);
    // No attempts may mean no such run: answer 404 as GET /v1/runs/:id does (describe throws WorkflowNotFoundError).
    if (attempts.length === 0) await deps.client.workflow.getHandle(runId).describe();
    res.json({ runId, attempts });
  });
  return router;
}
