/** The document's part for alerts: the configured rules with their state, and the history of fired and resolved alerts. */
import { z } from 'zod';
import { AlertRuleSchema } from '../../workflows/contracts/alert-rules';
import { AlertHistoryQuerySchema } from '../routes/alerts';
import { errors, jsonResponse, queryParameters, ref, schemaOf, type OpenApiPart } from './shared';

const state = z.enum(['ok', 'pending', 'firing']);

/** One configured rule and where it stands, as `GET /v1/alerts` lists it. */
const AlertRuleViewSchema = z.object({
  name: z.string(),
  kind: z.string(),
  state: state.describe(
    "`firing` when any subject fires, `pending` when any holds for less than the rule's `forSeconds`, else `ok`.",
  ),
  since: z.string().nullable().describe('Since when the rule is in this state; null: it never held.'),
  subjects: z
    .array(
      z.object({
        subject: z.string().describe('What the alert is about: a node class, a worker, `kind/name` of runs, a stack.'),
        state: z.enum(['pending', 'firing']),
        since: z.string(),
        value: z.number().nullable(),
        message: z.string(),
      }),
    )
    .describe('The subjects firing or pending.'),
  lastEvaluatedAt: z.string().nullable(),
  lastError: z.string().nullable().describe("Why the last evaluation could not read the rule's figures."),
  rule: AlertRuleSchema.describe('The rule as the rules file gives it, with defaults filled in.'),
});

const AlertListSchema = z.object({
  file: z.string().nullable().describe('The rules file the API loaded at start (CAPSTAN_ALERTS_FILE).'),
  intervalSeconds: z.number().int().nullable(),
  scheduleId: z.string().nullable().describe('The Temporal Schedule that evaluates the rules.'),
  rules: z.array(AlertRuleViewSchema),
});

/** One fired or resolved alert. */
const AlertEventSchema = z.object({
  id: z.number().int(),
  rule: z.string(),
  subject: z.string(),
  event: z.enum(['fired', 'resolved']),
  at: z.string(),
  firedAt: z.string().describe('When the alert started firing; for `resolved`, it fired from then until `at`.'),
  value: z.number().nullable(),
  message: z.string(),
  notifiedAt: z.string().nullable().describe('When the webhook accepted the notification; null: not yet sent.'),
  notifyAttempts: z.number().int(),
  notifyError: z.string().nullable(),
});

/** Alerts. */
export function alertPart(): OpenApiPart {
  return {
    tags: [
      {
        name: 'Alerts',
        description:
          'Rules from the alerts file, evaluated on a Temporal Schedule; each alert is notified once when it fires and once when it resolves.',
      },
    ],
    schemas: {
      AlertList: schemaOf(AlertListSchema, 'output'),
      AlertEvent: schemaOf(AlertEventSchema, 'output'),
    },
    requestBodies: {},
    paths: {
      '/v1/alerts': {
        get: {
          operationId: 'listAlerts',
          tags: ['Alerts'],
          summary: 'Every configured alert rule with its state, firing subjects and last evaluation',
          responses: { 200: jsonResponse('The rules, in the order of the file', ref('AlertList')) },
        },
      },
      '/v1/alerts/history': {
        get: {
          operationId: 'listAlertHistory',
          tags: ['Alerts'],
          summary: 'Alerts that fired and resolved, newest first',
          parameters: queryParameters(AlertHistoryQuerySchema),
          responses: {
            200: jsonResponse('The events', {
              type: 'object',
              required: ['events'],
              properties: { events: { type: 'array', items: ref('AlertEvent') } },
            }),
            ...errors({ 400: 'Invalid query: limit out of 1..1000, a malformed rule name, or an unknown parameter' }),
          },
        },
      },
    },
  };
}
