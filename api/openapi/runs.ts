/** The document's part for runs: start tasks and DAGs; list runs; read one, its graph, events and outputs. */
import { z } from 'zod';
import { RUN_KINDS } from '../../workflows/definitions';
import { DagSpecSchema } from '../../workflows/contracts/dag-spec';
import { TaskSpecSchema } from '../../workflows/contracts/task-spec';
import { YAML_TYPES } from '../input/body-parsers';
import { GraphQuerySchema } from '../routes/graph';
import { OutputRefParamSchema } from '../routes/outputs';
import { ListRunsQuerySchema, NodePageSchema, RetryBodySchema, RunIdSchema } from '../schemas';
import { STATUS_TO_TEMPORAL } from '../services/run-views';
import {
  errors,
  IDEMPOTENCY_KEY_HEADER,
  bodyRef,
  jsonRequestBody,
  jsonResponse,
  pathParameter,
  queryParameters,
  ref,
  schemaOf,
  type OpenApiPart,
} from './shared';

const RunStatusSchema = z.enum(['unknown', ...Object.keys(STATUS_TO_TEMPORAL)]);

/** What the API answers when it started a run (or found the one an idempotent repeat started). */
export const StartedRunSchema = z.object({
  runId: z.string().describe('The run id, which is the Temporal workflow id.'),
  created: z.boolean().describe('false when an Idempotency-Key or delivery id found a run started before.'),
  links: z.object({ self: z.string() }),
});

/** What a retry answers: the new run, what it reuses and what runs again. */
const RetriedRunSchema = StartedRunSchema.extend({
  reused: z.number().int().describe('Nodes (or pipeline jobs) whose results were carried over.'),
  rerun: z.number().int().describe('Nodes (or pipeline jobs) that run again.'),
  retryOf: z.string(),
});

/** One line of the run list. */
const RunSummarySchema = z.object({
  runId: z.string(),
  kind: z.enum([...RUN_KINDS, 'unknown']),
  name: z.string().optional(),
  nodeClass: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  startedBy: z.string().optional().describe('The principal whose token started the run.'),
  status: RunStatusSchema,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
});

/** The last lines a failed command printed. */
const LogTailSchema = z
  .object({
    stream: z.enum(['stderr', 'stdout']).describe('stderr, or stdout when stderr was empty.'),
    lines: z.array(z.string()).describe('The last lines (at most 20, about 2 KiB), oldest first.'),
    truncated: z.boolean().describe('true when earlier output was left out.'),
  })
  .describe("A failed command's last lines of output, next to its exit code.");

/** Why a run ended without completing. */
const RunFailureSchema = z.object({
  type: z.string().optional(),
  message: z.string().describe("Says why; a failed command's message quotes its last line of output."),
  details: z.unknown().optional(),
  logTail: LogTailSchema.optional().describe('Task runs that failed in their command.'),
  tasks: z
    .array(
      z.object({
        key: z.string(),
        message: z.string().optional(),
        exitCode: z.number().int().optional(),
        logTail: LogTailSchema.optional(),
      }),
    )
    .optional()
    .describe('DAG runs: the failed tasks among the returned nodes (at most 10), each with its last lines.'),
});

/** A run with what the API knows of it; the kind-specific parts are open objects. */
const RunDetailSchema = RunSummarySchema.extend({
  webUiUrl: z.string().optional().describe("The run's history in the Temporal Web UI."),
  historyLength: z.number().int(),
  live: z
    .looseObject({ pendingAttempts: z.array(z.looseObject({ attempt: z.number(), state: z.string() })) })
    .optional()
    .describe('Workflow state (absent when no orchestrator answers) and the attempts in flight.'),
  warnings: z.array(z.string()).optional(),
  result: z.looseObject({}).optional().describe('Task runs: exit code, outputs, worker, attempts.'),
  dag: z
    .looseObject({
      counts: z.record(z.string(), z.number()),
      total: z.number(),
      nodes: z.array(z.looseObject({ key: z.string(), logTail: LogTailSchema.optional() })),
    })
    .optional()
    .describe('DAG runs: counts and one page of node states (query offset and limit).'),
  dagResult: z.looseObject({}).optional(),
  pipeline: z
    .looseObject({})
    .optional()
    .describe(
      'Pipeline runs: every job with its steps, worker, services, approval, rollback and commit status (each combination of a matrix job is a job of its own: `test[2]`, with `job`, `name` and `matrix`), and the trigger ' +
        '(event push, pull_request, manual or schedule; branch, empty for a tag push, and tag; inputs of a manual run).',
    ),
  stack: z.looseObject({}).optional().describe('Stack operations: phase, preview, approval, result or drift.'),
  failure: RunFailureSchema.optional(),
});

/** The plan of a spec: its nodes (each a task or a matrix branch), edges and layers. */
const PlanGraphSchema = z.object({
  name: z.string(),
  nodes: z.array(
    z.object({
      key: z.string().describe('`build`, or `test[2]` for the third branch of matrix task `test`.'),
      task: z.string().describe('The id of the task the node belongs to.'),
      status: z.literal('pending'),
      layer: z.number().int().describe('Column: the longest path from a root.'),
      line: z.number().int().optional().describe("The task's line in the text sent."),
    }),
  ),
  edges: z.array(z.tuple([z.string(), z.string()])).describe('[from, to] node keys'),
  layers: z.number().int(),
});

/** What `POST /v1/dags/plan` answers. */
const SpecPlanSchema = z.object({
  valid: z.boolean(),
  kind: z.enum(['dag', 'task']).describe('Where to start it: POST /v1/dags or POST /v1/tasks.'),
  plan: PlanGraphSchema.optional().describe('Present when valid, and for an invalid spec that can still be drawn.'),
  issues: z
    .array(
      z.object({
        field: z.string().describe('e.g. tasks[2].dependsOn[0]'),
        message: z.string(),
        line: z.number().int().optional(),
        column: z.number().int().optional(),
        tasks: z.array(z.string()).optional().describe('The tasks the issue concerns; for a cycle, all of its tasks.'),
      }),
    )
    .optional()
    .describe('Present when not valid.'),
});

const runId = pathParameter('id', RunIdSchema, 'The run id (the Temporal workflow id).');

/** Starting runs, reading them and their graphs, events and stored outputs. */
export function runPart(): OpenApiPart {
  return {
    tags: [
      { name: 'Runs', description: 'Start tasks and DAGs; list, read, follow, cancel and retry runs of every kind.' },
      { name: 'Outputs', description: 'Task outputs too large for the run history, by reference.' },
    ],
    schemas: {
      StartedRun: schemaOf(StartedRunSchema, 'output'),
      RetriedRun: schemaOf(RetriedRunSchema, 'output'),
      RunSummary: schemaOf(RunSummarySchema, 'output'),
      RunDetail: schemaOf(RunDetailSchema, 'output'),
      SpecPlan: schemaOf(SpecPlanSchema, 'output'),
    },
    requestBodies: {
      RetryRequest: jsonRequestBody(RetryBodySchema, 'Optional; for a pipeline run, the one job to re-run', false),
      TaskSpec: {
        required: true,
        content: {
          ...jsonRequestBody(TaskSpecSchema).content,
          ...Object.fromEntries(
            YAML_TYPES.map((type) => [type, { schema: { type: 'string', description: 'The task spec as YAML' } }]),
          ),
        },
      },
      SpecToPlan: {
        description: 'A DAG spec (it has `tasks`) or a task spec, as JSON or YAML',
        required: true,
        content: {
          'application/json': {
            schema: { oneOf: [schemaOf(DagSpecSchema, 'input'), schemaOf(TaskSpecSchema, 'input')] },
          },
          ...Object.fromEntries(
            YAML_TYPES.map((type) => [type, { schema: { type: 'string', description: 'The spec as YAML' } }]),
          ),
        },
      },
      DagSpec: {
        required: true,
        content: {
          ...jsonRequestBody(DagSpecSchema).content,
          ...Object.fromEntries(
            YAML_TYPES.map((type) => [type, { schema: { type: 'string', description: 'The DAG spec as YAML' } }]),
          ),
        },
      },
    },
    paths: {
      '/v1/tasks': {
        post: {
          operationId: 'startTask',
          tags: ['Runs'],
          summary: 'Start a shell task on a node class, sent as JSON or as YAML',
          parameters: [IDEMPOTENCY_KEY_HEADER],
          requestBody: bodyRef('TaskSpec'),
          responses: {
            202: jsonResponse(
              'Run started (or, with a replayed Idempotency-Key, the run it started before)',
              ref('StartedRun'),
            ),
            ...errors({
              400: 'Invalid spec or Idempotency-Key; details name each field',
              415: 'Neither JSON nor YAML',
              422: 'Idempotency-Key reused with a different body',
            }),
          },
        },
      },
      '/v1/dags': {
        post: {
          operationId: 'startDag',
          tags: ['Runs'],
          summary: 'Start a DAG of tasks, sent as JSON or as YAML',
          parameters: [IDEMPOTENCY_KEY_HEADER],
          requestBody: bodyRef('DagSpec'),
          responses: {
            202: jsonResponse(
              'Run started (or, with a replayed Idempotency-Key, the run it started before)',
              ref('StartedRun'),
            ),
            ...errors({
              400:
                'Invalid spec (duplicate ids, unknown dependencies, cycles, unknown classes, bad expressions, size) ' +
                'or YAML',
              415: 'Neither JSON nor YAML',
              422: 'Idempotency-Key reused with a different body',
            }),
          },
        },
      },
      '/v1/dags/plan': {
        post: {
          operationId: 'checkSpec',
          tags: ['Runs'],
          summary: 'Check a DAG or task spec and draw its plan, starting nothing',
          description:
            'Answers 200 whether the spec is valid or not: `valid: true` with the plan (matrices expanded, ' +
            'as the run graph JSON draws it), or `valid: false` with every issue. For a body of at most 64 KiB, ' +
            'each issue names its line and column in the text sent (YAML or JSON); a cycle names its tasks. ' +
            'The plan of an invalid spec is given too when it can be drawn (unique ids, within the size limit). ' +
            'A body that is neither JSON nor YAML is a 400. Not audited: it changes nothing.',
          requestBody: bodyRef('SpecToPlan'),
          responses: {
            200: jsonResponse('The plan, or the issues', ref('SpecPlan')),
            ...errors({ 400: 'Not JSON or YAML', 415: 'Neither JSON nor YAML' }),
          },
        },
      },
      '/v1/runs': {
        get: {
          operationId: 'listRuns',
          tags: ['Runs'],
          summary: 'List runs: running first, then the most recently finished',
          parameters: queryParameters(ListRunsQuerySchema),
          responses: {
            200: jsonResponse('A page of runs', {
              type: 'object',
              required: ['runs', 'nextCursor'],
              properties: {
                runs: { type: 'array', items: ref('RunSummary') },
                nextCursor: {
                  type: ['string', 'null'],
                  description: 'Pass as cursor for the next page; null on the last.',
                },
              },
            }),
          },
        },
      },
      '/v1/runs/{id}': {
        get: {
          operationId: 'getRun',
          tags: ['Runs'],
          summary: 'A run with its live state, result or failure',
          parameters: [runId, ...queryParameters(NodePageSchema)],
          responses: { 200: jsonResponse('The run', ref('RunDetail')), ...errors({ 404: 'Unknown run' }) },
        },
      },
      '/v1/runs/{id}/cancel': {
        post: {
          operationId: 'cancelRun',
          tags: ['Runs'],
          summary: 'Cancel a running run; its process groups are killed',
          parameters: [runId],
          responses: {
            202: jsonResponse('Cancellation requested', {
              type: 'object',
              required: ['runId', 'status'],
              properties: {
                runId: { type: 'string' },
                status: { const: 'cancelling' },
              },
            }),
            ...errors({ 404: 'Unknown run', 409: 'The run is not running' }),
          },
        },
      },
      '/v1/runs/{id}/retry': {
        post: {
          operationId: 'retryRun',
          tags: ['Runs'],
          summary: "Retry a DAG run from its failure, or re-run a pipeline run's failed jobs (or one job)",
          description:
            'A new run of the same spec that reuses what succeeded: DAG nodes, or pipeline jobs (their outputs, and their artifacts copied into the new run). ' +
            'What failed, was cancelled or skipped runs again, and everything downstream of it. A pipeline run may instead name one `job`: ' +
            'it and the jobs that need it run again, every other job keeps how it ended.',
          parameters: [runId, IDEMPOTENCY_KEY_HEADER],
          requestBody: bodyRef('RetryRequest'),
          responses: {
            202: jsonResponse('The new run', ref('RetriedRun')),
            ...errors({
              400: 'A malformed body',
              404: 'Unknown run',
              409: 'A running run; a succeeded run without a job named; a job whose needs did not succeed; not a DAG or pipeline run',
              422: 'Idempotency-Key reused for another run; a job the run does not have',
            }),
          },
        },
      },
      '/v1/runs/{id}/graph': {
        get: {
          operationId: 'getRunGraph',
          tags: ['Runs'],
          summary: "A DAG run's graph with live node states: SVG, Mermaid or JSON",
          parameters: [runId, ...queryParameters(GraphQuerySchema)],
          responses: {
            200: {
              description: 'The graph in the format asked for',
              content: {
                'image/svg+xml': { schema: { type: 'string' } },
                'text/plain': { schema: { type: 'string', description: 'Mermaid flowchart' } },
                'application/json': {
                  schema: schemaOf(
                    z.object({
                      nodes: z.array(z.object({ key: z.string(), status: z.string(), layer: z.number().int() })),
                      edges: z.array(z.tuple([z.string(), z.string()])).describe('[from, to] node keys'),
                    }),
                    'output',
                  ),
                },
              },
            },
            ...errors({ 404: 'Unknown run', 409: 'Not a DAG run' }),
          },
        },
      },
      '/v1/runs/{id}/events': {
        get: {
          operationId: 'followRunEvents',
          tags: ['Runs'],
          summary: 'Follow a run: server-sent progress events, then end',
          description:
            'Events `progress` (status, counts, the nodes that changed) while the run runs, ' +
            'then one `end` { runId, status }. A failed node in `changes` carries its `logTail` ' +
            '(the last lines of its stderr, or stdout when stderr is empty), as does `failure` of a failed task run; ' +
            'a node a retry reused from the run it retries carries `reused: true`.',
          parameters: [runId],
          responses: {
            200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            ...errors({ 404: 'Unknown run' }),
          },
        },
      },
      '/v1/outputs/{reference}': {
        get: {
          operationId: 'getOutput',
          tags: ['Outputs'],
          summary: 'The content of a task output kept in the output store',
          description:
            'An output value of the form capstan-ref:sha256:<hex>:<bytes> names content kept outside the history.',
          parameters: [pathParameter('reference', OutputRefParamSchema)],
          responses: {
            200: {
              description: 'The content, exactly as the task wrote it',
              content: {
                'application/octet-stream': {
                  schema: { type: 'string', contentMediaType: 'application/octet-stream' },
                },
              },
            },
            ...errors({
              400: 'Not an output reference',
              404: 'No stored output for the reference',
              503: 'The output store (a bucket) cannot be reached; the error names it (object_store_unavailable)',
            }),
          },
        },
      },
    },
  };
}
