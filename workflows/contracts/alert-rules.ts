/**
 * The alert rules file's schema (config/alerts.yaml): the rules the API lists and the scheduled
 * evaluation receives as its input. Zod is pure JavaScript, so the workflow may import the types.
 */
import { z } from 'zod';
import { NODE_CLASS_NAME_PATTERN } from './node-class';

/** A rule's name: kebab-case, as history filters and notifications show it. */
export const ALERT_RULE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

const name = z.string().regex(ALERT_RULE_NAME, 'must be lowercase letters, digits and dashes, starting with a letter');
const seconds = (max: number) => z.number().int('must be a whole number of seconds').min(1).max(max);
const percent = z.number().min(0, 'must be a percentage, 0 to 100').max(100, 'must be a percentage, 0 to 100');
const nodeClass = z
  .string()
  .regex(NODE_CLASS_NAME_PATTERN, 'must be a node class name')
  .optional()
  .describe('One node class; every configured class when absent.');

const common = {
  name,
  description: z.string().max(500).optional(),
  forSeconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(0)
    .describe('How long the condition must hold, evaluation after evaluation, before the alert fires.'),
};

/** A class with queued work and no live worker. */
const NoLiveWorkerRule = z.strictObject({ ...common, kind: z.literal('no-live-worker'), nodeClass });
/** A class whose oldest queued task has waited longer than `overSeconds`. */
const OldestWaitRule = z.strictObject({
  ...common,
  kind: z.literal('oldest-wait'),
  nodeClass,
  overSeconds: seconds(7 * 86_400),
});
/** A worker whose disk (the workspace volume) or memory use is over `overPercent`. */
const WorkerUsageRule = z.strictObject({
  ...common,
  kind: z.literal('worker-usage'),
  resource: z.enum(['disk', 'memory']),
  overPercent: percent,
  nodeClass,
  staleAfterSeconds: seconds(86_400)
    .default(180)
    .describe('A worker whose last report is older is not judged (it is lost, and its alert resolves).'),
});
/** Runs of one DAG, pipeline or task name that ended failed, as a share of those that ended within the window. */
const FailureRateRule = z.strictObject({
  ...common,
  kind: z.literal('failure-rate'),
  runKind: z.enum(['dag', 'pipeline', 'task']),
  runName: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^'"\\]+$/, 'must not hold quotes or backslashes'),
  windowSeconds: seconds(30 * 86_400),
  overPercent: percent,
  minRuns: z.number().int().min(1).max(100_000).default(1).describe('Fewer ended runs in the window never fire.'),
});
/** A stack whose last drift check found resources changed or deleted outside Pulumi. */
const StackDriftRule = z.strictObject({
  ...common,
  kind: z.literal('stack-drift'),
  project: z.string().min(1).max(200).optional(),
  stack: z.string().min(1).max(200).optional(),
});

/** One alert rule, by kind. */
export const AlertRuleSchema = z.discriminatedUnion('kind', [
  NoLiveWorkerRule,
  OldestWaitRule,
  WorkerUsageRule,
  FailureRateRule,
  StackDriftRule,
]);

/** A validated alert rule. */
export type AlertRule = z.output<typeof AlertRuleSchema>;
/** The kinds of rule. */
export type AlertRuleKind = AlertRule['kind'];

/** The whole file: how often rules are evaluated, where, and the rules. */
export const AlertFileSchema = z
  .strictObject({
    intervalSeconds: seconds(86_400).default(60).describe('How often the Temporal Schedule evaluates every rule.'),
    nodeClass: nodeClass.describe(
      'The node class whose workers evaluate the rules and post notifications; default: the cost analysis class.',
    ),
    rules: z.array(AlertRuleSchema).max(500).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rules.forEach((rule, index) => {
      if (seen.has(rule.name))
        ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `duplicate rule "${rule.name}"` });
      seen.add(rule.name);
    });
  });

/** A validated rules file. */
export type AlertFile = z.output<typeof AlertFileSchema>;

/** A subject's alert state: `pending` while the condition holds for less than the rule's `forSeconds`. */
export type AlertState = 'ok' | 'pending' | 'firing';
