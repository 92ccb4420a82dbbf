/** Alerts: `GET /v1/alerts` (each configured rule and its state) and `GET /v1/alerts/history` (fired and resolved). */
import { Router } from 'express';
import { z } from 'zod';
import { ALERT_RULE_NAME } from '../../workflows/contracts/alert-rules';
import { listAlertHistory, listAlertRules } from '../services/alerts';
import type { ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';

/** Query string of `GET /v1/alerts/history`. */
export const AlertHistoryQuerySchema = z.strictObject({
  limit: z.coerce
    .number({ error: 'must be a whole number, 1 to 1000' })
    .int('must be a whole number, 1 to 1000')
    .min(1, 'must be a whole number, 1 to 1000')
    .max(1000, 'must be a whole number, 1 to 1000')
    .default(100)
    .describe('How many events, newest first.'),
  rule: z
    .string()
    .regex(ALERT_RULE_NAME, 'must be a rule name: lowercase letters, digits and dashes')
    .optional()
    .describe("Only this rule's events."),
});

/** Routes of alerts; reading needs a viewer (see auth/policy), as the cost routes do. */
export function alertRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/alerts', async (_req, res) => {
    res.json(await listAlertRules(deps.db, deps.alerts));
  });
  router.get('/v1/alerts/history', async (req, res) => {
    const query = parseOr400(AlertHistoryQuerySchema, req.query, 'query', 'query');
    res.json(await listAlertHistory(deps.db, query));
  });
  return router;
}
