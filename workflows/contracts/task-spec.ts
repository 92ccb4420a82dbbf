/**
 * The task spec: the one schema that validates API bodies, generates the OpenAPI document and
 * types the task workflow. Zod is pure JavaScript, so this file is safe inside the workflow bundle.
 */
import { z } from 'zod';
import { ResourcesSchema } from './resources';
import { withTextRule } from './text-rule';
import { WORKER_HOST_PATTERN, WORKER_HOST_RULE } from './node-class';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;

/** Retry of a task whose command fails (non-zero exit or timeout); lost workers are retried apart from this. */
export const TaskRetrySchema = z
  .strictObject({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(1)
      .describe('Total attempts for a failing command, including the first.'),
    initialIntervalSeconds: z.number().positive().max(3600).default(1),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    maxIntervalSeconds: z.number().positive().max(86_400).default(60),
  })
  .refine((r) => r.initialIntervalSeconds <= r.maxIntervalSeconds, {
    path: ['initialIntervalSeconds'],
    message: 'must not exceed maxIntervalSeconds (default 60)',
  });

/** Text a process can receive: the OS cannot pass a NUL byte in an argument, path or variable. */
const processText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((t) => !t.includes('\0'), 'must not contain NUL (\\0) characters');

const relativePath = processText(1024)
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
    message: 'must be a path relative to the task workspace, without ".."',
  });

/** Label keys and values, kept with a run for filtering and cost attribution. */
export const LabelsSchema = z
  .record(z.string().regex(LABEL_KEY, 'must be a lowercase label key'), z.string().max(200))
  .default({});

/** The fields that describe how to run one command; shared by single tasks and DAG tasks. */
export const TASK_BODY_SHAPE = {
  nodeClass: z.string().min(1).describe('Node class whose worker pool runs the task.'),
  host: z
    .string()
    .regex(WORKER_HOST_PATTERN, WORKER_HOST_RULE)
    .optional()
    .describe(
      'Run only on the worker of this class whose host is this name (CAPSTAN_WORKER_HOST); waits while that host is away.',
    ),
  command: processText(65_536)
    .min(1)
    .optional()
    .describe('Shell command line, run by /bin/sh -c; args become $1, $2, ...'),
  script: processText(1_048_576)
    .min(1)
    .optional()
    .describe('Multi-line script, run by bash with -e -o pipefail; args become $1, $2, ...'),
  args: z.array(processText(65_536)).max(256).default([]),
  env: z
    .record(z.string().regex(ENV_NAME, 'must be a valid environment variable name'), processText(131_072))
    .default({}),
  workingDirectory: relativePath
    .optional()
    .describe('Directory inside the fresh workspace to run in; created if missing.'),
  timeoutSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86_400)
    .default(3600)
    .describe('Wall-clock limit for one attempt; the whole process group is killed when it passes.'),
  retry: TaskRetrySchema.default(TaskRetrySchema.parse({})),
  resources: ResourcesSchema.optional().describe(
    "What one attempt needs of its worker; a worker runs at once only what its class's resources hold (config/node-classes.yaml).",
  ),
};

/** What a user sends to run one shell task; every text in it is held to the text rule (text-rule.ts). */
export const TaskSpecSchema = withTextRule(
  z
    .strictObject({
      name: z.string().min(1).max(200).optional().describe('Human-readable name shown in lists and the Web UI.'),
      ...TASK_BODY_SHAPE,
      priority: z
        .number()
        .int()
        .min(1)
        .max(5)
        .default(3)
        .describe('Temporal task priority: 1 is served first, 5 last; on a busy node class it decides who waits.'),
      labels: LabelsSchema,
    })
    .superRefine((spec, ctx) => {
      const issue = commandOrScriptIssue(spec);
      if (issue) ctx.addIssue({ code: 'custom', path: ['command'], message: issue });
    }),
);

/** The rule that a task has exactly one of `command` and `script`, usable on a body that failed other checks. */
export function commandOrScriptIssue(body: unknown): string | undefined {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  return (fields.command === undefined) === (fields.script === undefined)
    ? 'exactly one of "command" or "script" is required'
    : undefined;
}

/** A validated task spec with defaults applied. */
export type TaskSpec = z.output<typeof TaskSpecSchema>;
/** The retry settings of a validated task spec. */
export type TaskRetry = z.output<typeof TaskRetrySchema>;
