/**
 * Cost analysis: `GET /v1/costs` (ad hoc, by group and window), `GET /v1/costs/chart.svg`, stored
 * reports (`GET /v1/costs/reports`), and the analysis schedule (list, trigger, backfill past days).
 */
import { Router } from 'express';
import { jsonBody } from '../input/body-parsers';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { z } from 'zod';
import type { CostGroupBy } from '../../db/stores/cost-queries';
import { getReport, getReportChart, listReports } from '../../db/stores/cost-report-store';
import { ApiError } from '../errors';
import type { ApiDeps } from '../services/deps';
import { adHocChart, adHocCosts, adHocCostsWithSeries } from '../services/costs';
import { costScheduleId, listCostSchedules } from '../services/cost-schedules';
import { timed } from '../server-timing';
import { parseOr400 } from '../validate';

const DAY_MS = 86_400_000;
/** Longest window one request may aggregate, so one query cannot scan years of rows. */
const MAX_WINDOW_DAYS = 366;
/** Most days one backfill may re-run. */
const MAX_BACKFILL_DAYS = 366;

/** A UTC day, as a report's path and a backfill's body name it. */
export const DateSchema = z.iso.date({ error: 'must be a date, YYYY-MM-DD' });
const InstantSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'must be an ISO date (YYYY-MM-DD, UTC midnight) or date-time with offset',
});
const GroupBySchema = z.union([
  z.enum(['nodeClass', 'run', 'name', 'kind', 'day']),
  z
    .string()
    .regex(/^label:[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/, 'must be nodeClass, run, name, kind, day or label:<key>'),
]);

/** Query string of `GET /v1/costs` and `GET /v1/costs/chart.svg`. */
export const CostQuerySchema = z.strictObject({
  groupBy: GroupBySchema.default('nodeClass'),
  from: InstantSchema.optional().describe('Start (inclusive); default: 7 days before `to`.'),
  to: InstantSchema.optional().describe('End (exclusive); default: now.'),
  nodeClass: z.string().min(1).max(200).optional(),
});

/** Query string of `GET /v1/costs`: the chart's query, and whether to add each group's daily series. */
export const CostDataQuerySchema = CostQuerySchema.extend({
  series: z
    .enum(['day'])
    .optional()
    .describe(
      'With `day`, the answer adds `days` (UTC) and `series`: the daily cost of the largest 8 groups, the rest summed as "other (n)".',
    ),
});

/** Query string of `GET /v1/costs/reports`. */
export const CostReportQuerySchema = z.strictObject({
  date: DateSchema.optional().describe('The UTC day of the report; default: the newest.'),
  limit: z.coerce.number().int().min(1).max(366).default(30).describe('How many report headlines to list.'),
});

/** Body of `POST /v1/costs/schedules/:id/backfill`: the UTC days to analyse again, both included. */
export const CostBackfillSchema = z.strictObject({ from: DateSchema, to: DateSchema });

function windowOf(query: z.output<typeof CostQuerySchema>): { from: Date; to: Date } {
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
  return { from, to };
}

/** Routes of cost analysis; reading needs a viewer, triggering and backfilling an operator (see auth/policy). */
export function costRoutes(deps: ApiDeps): Router {
  const router = Router();
  const scheduleId = costScheduleId(deps.taskQueuePrefix);
  const requireSchedule = (id: string): void => {
    if (id !== scheduleId)
      throw new ApiError(404, 'not_found', `no cost schedule "${id}"; the schedule is "${scheduleId}"`);
  };

  router.get('/v1/costs', async (req, res) => {
    const query = parseOr400(CostDataQuerySchema, req.query, 'query', 'query');
    const { from, to } = windowOf(query);
    const q = { from, to, groupBy: query.groupBy as CostGroupBy, nodeClass: query.nodeClass };
    const costs =
      query.series === 'day'
        ? await adHocCostsWithSeries(deps.db, deps.nodeClasses, q)
        : await adHocCosts(deps.db, deps.nodeClasses, q);
    const answer = { from: from.toISOString(), to: to.toISOString(), groupBy: query.groupBy, ...costs };
    // Serialised here rather than by res.json so that Server-Timing shows what a 10,000-group answer costs.
    res.type('json').send(await timed('cost-render', async () => JSON.stringify(answer)));
  });
  router.get('/v1/costs/chart.svg', async (req, res) => {
    const query = parseOr400(CostQuerySchema, req.query, 'query', 'query');
    const { from, to } = windowOf(query);
    res.type('image/svg+xml').send(
      await adHocChart(deps.db, deps.nodeClasses, {
        from,
        to,
        groupBy: query.groupBy as CostGroupBy,
        nodeClass: query.nodeClass,
      }),
    );
  });
  router.get('/v1/costs/reports', async (req, res) => {
    const query = parseOr400(CostReportQuerySchema, req.query, 'query', 'query');
    const stored = await getReport(deps.db, query.date);
    if (query.date !== undefined && stored === undefined)
      throw new ApiError(404, 'report_not_found', `no cost report for ${query.date}`);
    res.json({ ...(stored ?? { report: null }), reports: await listReports(deps.db, query.limit) });
  });
  router.get('/v1/costs/reports/:date/chart.svg', async (req, res) => {
    const date = parseOr400(DateSchema, req.params.date, 'report date', 'date');
    const svg = await getReportChart(deps.db, date);
    if (svg === undefined) throw new ApiError(404, 'report_not_found', `no cost report for ${date}`);
    res.type('image/svg+xml').send(svg);
  });
  router.get('/v1/costs/schedules', async (_req, res) => {
    const schedules = await listCostSchedules(deps.client, deps.taskQueuePrefix);
    res.json({
      schedules: schedules.map((s) => ({
        ...s,
        ...(deps.webUiUrl ? { webUiUrl: `${deps.webUiUrl}/namespaces/${deps.namespace}/schedules/${s.id}` } : {}),
      })),
    });
  });
  router.post('/v1/costs/schedules/:id/trigger', async (req, res) => {
    requireSchedule(req.params.id);
    // ALLOW_ALL: a person asking for a run gets one even while a scheduled one is running.
    await deps.client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    res.status(202).json({ scheduleId, triggered: true });
  });
  router.post('/v1/costs/schedules/:id/backfill', jsonBody({ limit: deps.maxBodyBytes }), async (req, res) => {
    const body = parseOr400(CostBackfillSchema, req.body ?? {}, 'request body');
    requireSchedule(req.params.id);
    const first = Date.parse(`${body.from}T00:00:00Z`);
    const last = Date.parse(`${body.to}T00:00:00Z`);
    const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    const issues = [];
    if (last < first) issues.push({ field: 'to', message: 'must not be before from' });
    if (last >= today) issues.push({ field: 'to', message: 'must be a past day (before today, UTC)' });
    if (last - first >= MAX_BACKFILL_DAYS * DAY_MS)
      issues.push({ field: 'from', message: `at most ${MAX_BACKFILL_DAYS} days before to` });
    if (issues.length > 0)
      throw new ApiError(
        400,
        'invalid_request',
        `invalid request body: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
        issues,
      );
    // A run analyses the day before its nominal time, so days from..to are the schedule's times on days from+1..to+1. Cron times
    // fall on whole minutes, so starting 1 ms before that midnight takes the first one whether Temporal counts the start in or not.
    const start = new Date(first + DAY_MS - 1);
    const end = new Date(last + 2 * DAY_MS - 1);
    await deps.client.schedule.getHandle(scheduleId).backfill({ start, end, overlap: ScheduleOverlapPolicy.ALLOW_ALL });
    res.status(202).json({
      scheduleId,
      from: body.from,
      to: body.to,
      days: Math.round((last - first) / DAY_MS) + 1,
      nominalWindow: { start: start.toISOString(), end: end.toISOString() },
    });
  });
  return router;
}
