/** The document's part for metering and cost: usage by group, one run's attempts, costs, reports and their schedule. */
import { z } from 'zod';
import {
  CostBackfillSchema,
  CostDataQuerySchema,
  CostQuerySchema,
  CostReportQuerySchema,
  DateSchema,
} from '../routes/costs';
import { UsageQuerySchema } from '../routes/usage';
import { RunIdSchema } from '../schemas';
import {
  errors,
  bodyRef,
  jsonRequestBody,
  jsonResponse,
  pathParameter,
  queryParameters,
  ref,
  schemaOf,
  type OpenApiPart,
} from './shared';

const usageFigures = {
  attempts: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  timedOut: z.number(),
  cancelled: z.number(),
  lost: z.number(),
  error: z.number(),
  running: z.number(),
  seconds: z.number(),
  wastedSeconds: z.number().describe('Seconds of attempts that did not succeed: the cost of failures and retries.'),
};

/** `GET /v1/usage`: machine time per group over a window. */
const UsageReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.string(),
  groups: z.array(z.object({ key: z.string(), ...usageFigures })),
  totals: z.object(usageFigures),
});

/** One metered task attempt. */
const AttemptSchema = z.object({
  runId: z.string(),
  taskId: z.string(),
  attempt: z.number().int(),
  runKind: z.string(),
  nodeClass: z.string(),
  worker: z.string(),
  labels: z.record(z.string(), z.string()),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  outcome: z.string(),
  exitCode: z.number().int().nullable(),
  detail: z.string().nullable(),
});

const svg = (description: string) => ({ description, content: { 'image/svg+xml': { schema: { type: 'string' } } } });
const scheduleId = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The cost schedule id, as GET /v1/costs/schedules lists it.',
  schema: { type: 'string' },
};

/** Usage and cost analysis. */
export function costPart(): OpenApiPart {
  return {
    tags: [
      { name: 'Usage', description: 'Metered machine time of every task attempt.' },
      {
        name: 'Costs',
        description: 'Costs by node class, run, name, kind, day or label; daily reports on a Temporal Schedule.',
      },
    ],
    schemas: {
      UsageReport: schemaOf(UsageReportSchema, 'output'),
      Attempt: schemaOf(AttemptSchema, 'output'),
    },
    requestBodies: {
      CostBackfillRequest: jsonRequestBody(CostBackfillSchema),
    },
    paths: {
      '/v1/usage': {
        get: {
          operationId: 'getUsage',
          tags: ['Usage'],
          summary: 'Machine time of task attempts, grouped, over a window (default: 7 days)',
          parameters: queryParameters(UsageQuerySchema),
          responses: {
            200: jsonResponse('Figures per group and totals', ref('UsageReport')),
            ...errors({ 400: 'Invalid query, or a window over 366 days' }),
          },
        },
      },
      '/v1/runs/{id}/attempts': {
        get: {
          operationId: 'listRunAttempts',
          tags: ['Usage'],
          summary: 'Every metered attempt of one run',
          parameters: [pathParameter('id', RunIdSchema, 'The run id.')],
          responses: {
            200: jsonResponse("The run's attempts", {
              type: 'object',
              required: ['runId', 'attempts'],
              properties: {
                runId: { type: 'string' },
                attempts: { type: 'array', items: ref('Attempt') },
              },
            }),
            ...errors({ 404: 'No run with that id' }),
          },
        },
      },
      '/v1/costs': {
        get: {
          operationId: 'getCosts',
          tags: ['Costs'],
          summary: 'Costs per group over a window, largest first (money in micro-dollars)',
          parameters: queryParameters(CostDataQuerySchema),
          responses: {
            200: jsonResponse('Groups and totals', {
              type: 'object',
              required: ['from', 'to', 'groupBy', 'currency', 'groups', 'totals'],
              properties: {
                from: { type: 'string' },
                to: { type: 'string' },
                groupBy: { type: 'string' },
                currency: { type: 'string' },
                groups: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['key', 'totalMicros', 'attempts', 'failedAttempts'],
                    properties: {
                      key: { type: 'string' },
                      attempts: { type: 'integer' },
                      failedAttempts: { type: 'integer' },
                      computeMicros: { type: 'number' },
                      wasteMicros: { type: 'number' },
                      totalMicros: { type: 'number' },
                    },
                  },
                },
                totals: {
                  type: 'object',
                  required: ['totalMicros'],
                  properties: { totalMicros: { type: 'number' }, attempts: { type: 'integer' } },
                },
                days: { type: 'array', items: { type: 'string' }, description: 'With series=day: the UTC days.' },
                series: {
                  type: 'array',
                  description: "With series=day: each group's micro-dollars per day, aligned with `days`.",
                  items: {
                    type: 'object',
                    required: ['name', 'values'],
                    properties: { name: { type: 'string' }, values: { type: 'array', items: { type: 'number' } } },
                  },
                },
              },
            }),
            ...errors({ 400: 'Invalid query, or a window over 366 days' }),
          },
        },
      },
      '/v1/costs/chart.svg': {
        get: {
          operationId: 'getCostChart',
          tags: ['Costs'],
          summary: "Each group's daily cost over the window, as an SVG chart",
          parameters: queryParameters(CostQuerySchema),
          responses: { 200: svg('The chart'), ...errors({ 400: 'Invalid query, or a window over 366 days' }) },
        },
      },
      '/v1/costs/reports': {
        get: {
          operationId: 'getCostReports',
          tags: ['Costs'],
          summary: 'A stored daily report (the newest by default) and the headlines of recent ones',
          parameters: queryParameters(CostReportQuerySchema),
          responses: {
            200: jsonResponse('The report and the list', {
              type: 'object',
              required: ['report', 'reports'],
              properties: {
                report: { type: ['object', 'null'], description: 'null when no report was made yet' },
                reports: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['date', 'totalMicros', 'generatedAt', 'workflowId'],
                    properties: {
                      date: { type: 'string' },
                      totalMicros: { type: 'number' },
                      generatedAt: { type: 'string' },
                      workflowId: { type: ['string', 'null'] },
                    },
                  },
                },
              },
            }),
            ...errors({ 404: 'No report for that date' }),
          },
        },
      },
      '/v1/costs/reports/{date}/chart.svg': {
        get: {
          operationId: 'getCostReportChart',
          tags: ['Costs'],
          summary: "A stored daily report's chart",
          parameters: [pathParameter('date', DateSchema, 'The UTC day, YYYY-MM-DD.')],
          responses: { 200: svg('The chart'), ...errors({ 404: 'No report for that date' }) },
        },
      },
      '/v1/costs/schedules': {
        get: {
          operationId: 'listCostSchedules',
          tags: ['Costs'],
          summary: 'The cost analysis schedule: cron, recent and next runs',
          responses: {
            200: jsonResponse('The schedules', {
              type: 'object',
              required: ['schedules'],
              properties: {
                schedules: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['id'],
                    properties: {
                      id: { type: 'string' },
                      cron: { type: 'string' },
                      paused: { type: 'boolean' },
                      webUiUrl: { type: 'string' },
                      nextActionTimes: { type: 'array', items: { type: 'string' } },
                    },
                  },
                },
              },
            }),
          },
        },
      },
      '/v1/costs/schedules/{id}/trigger': {
        post: {
          operationId: 'triggerCostSchedule',
          tags: ['Costs'],
          summary: 'Run the cost analysis now, even while a scheduled one runs',
          parameters: [scheduleId],
          responses: {
            202: jsonResponse('Triggered', {
              type: 'object',
              required: ['scheduleId', 'triggered'],
              properties: {
                scheduleId: { type: 'string' },
                triggered: { const: true },
              },
            }),
            ...errors({ 404: 'No cost schedule of that id' }),
          },
        },
      },
      '/v1/costs/schedules/{id}/backfill': {
        post: {
          operationId: 'backfillCostSchedule',
          tags: ['Costs'],
          summary: 'Analyse past UTC days again, both ends included (at most 366)',
          parameters: [scheduleId],
          requestBody: bodyRef('CostBackfillRequest'),
          responses: {
            202: jsonResponse('Backfill requested', {
              type: 'object',
              required: ['scheduleId', 'from', 'to', 'days'],
              properties: {
                scheduleId: { type: 'string' },
                from: { type: 'string' },
                to: { type: 'string' },
                days: { type: 'integer' },
                nominalWindow: { type: 'object', properties: { start: { type: 'string' }, end: { type: 'string' } } },
              },
            }),
            ...errors({
              400: 'Invalid days: to before from, today or later, or more than 366 days',
              404: 'No cost schedule of that id',
            }),
          },
        },
      },
    },
  };
}
