/** Request schemas of the API besides the task spec; the same objects validate requests and build the OpenAPI document. */
import { z } from 'zod';
import { RUN_KINDS } from '../workflows/definitions';
import { STATUS_TO_TEMPORAL } from './services/run-views';

/** A list filter's text: quotes and backslashes would end the visibility query's string, so they are refused. */
const listFilterText = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^'"\\\x00-\x1f]+$/, 'must not hold quotes, backslashes or control characters');

/** Query string of `GET /v1/runs`. */
export const ListRunsQuerySchema = z.strictObject({
  status: z.enum(Object.keys(STATUS_TO_TEMPORAL) as [keyof typeof STATUS_TO_TEMPORAL]).optional(),
  kind: z.enum(RUN_KINDS).optional(),
  name: listFilterText.optional().describe('Runs whose name starts with this text (case-sensitive).'),
  label: listFilterText.optional().describe('Runs with this label: `key=value`, or `key` for any value.'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(4096).optional(),
});

/** Which node states `GET /v1/runs/:id` returns for a DAG run. */
export const NodePageSchema = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});

/** The `Idempotency-Key` header: printable ASCII, at most 255 characters. */
export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters without spaces');

/** The body of `POST /v1/runs/:id/retry`: empty, or for a pipeline run the one job to run again. */
export const RetryBodySchema = z.strictObject({
  job: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Pipeline runs only: re-run this job and the jobs that need it; without it, the failed jobs.'),
});

/** A run id in a path. */
export const RunIdSchema = z.string().min(1).max(1000);

/** The error body every failed request gets. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('Stable and machine-readable, e.g. invalid_request, run_not_found, stack_busy.'),
    message: z.string().describe('What went wrong and how to fix it, in words.'),
    details: z
      .union([
        z
          .array(
            z.looseObject({
              field: z
                .string()
                .describe('Dotted path of the field, e.g. retry.maxAttempts, query.limit, Idempotency-Key.'),
              message: z.string(),
              line: z.number().int().optional().describe('Line in a YAML file, where there is one.'),
              column: z.number().int().optional(),
            }),
          )
          .describe('One entry per bad field'),
        z.record(z.string(), z.unknown()).describe('What stands in the way, e.g. the run that holds a busy stack'),
      ])
      .optional(),
  }),
});
