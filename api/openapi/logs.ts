/** The document's part for task logs: a task run's, a DAG node's and a pipeline step's, whole or followed. */
import { LogQuerySchema, LastEventIdSchema } from '../logs/log-query';
import { JobIdParamSchema, ServiceParamSchema, StepParamSchema, TaskKeyParamSchema } from '../routes/logs';
import { RunIdSchema } from '../schemas';
import { errors, pathParameter, queryParameters, schemaOf, type JsonSchema, type OpenApiPart } from './shared';

const runId = pathParameter('id', RunIdSchema, 'The run id (the Temporal workflow id).');

const LAST_EVENT_ID: JsonSchema = {
  name: 'Last-Event-ID',
  in: 'header',
  required: false,
  description: 'With follow=true: resume after the event with this id (browsers send it when they reconnect).',
  schema: schemaOf(LastEventIdSchema, 'input'),
};

const header = (description: string): JsonSchema => ({ description, schema: { type: 'string' } });

/** One log operation: the same parameters and answers for every kind of run. */
function logOperation(operationId: string, summary: string, path: JsonSchema[], notFound: string) {
  return {
    get: {
      operationId,
      tags: ['Logs'],
      summary,
      parameters: [runId, ...path, ...queryParameters(LogQuerySchema), LAST_EVENT_ID],
      responses: {
        200: {
          description:
            'The log as text, a line per line printed (with timestamps=true each prefixed with its time and stream). ' +
            'With follow=true, server-sent events: `attempt` (which attempt is followed), `log` (JSON strings of text, ' +
            'each with an id to resume from), then `end` (its counts and state: ended, lost or no_log).',
          headers: {
            'X-Capstan-Attempt': header('The attempt shown.'),
            'X-Capstan-Log-State': header('running or ended.'),
            'X-Capstan-Log-Lines': header('Lines the attempt printed so far.'),
            'X-Capstan-Log-Cut-Lines': header('Lines cut from the middle to keep under CAPSTAN_LOG_MAX_BYTES.'),
            'X-Capstan-Worker': header('The worker that ran the attempt.'),
          },
          content: {
            'text/plain': { schema: { type: 'string' } },
            'text/event-stream': { schema: { type: 'string' } },
          },
        },
        ...errors({
          400: 'A bad query parameter or Last-Event-ID (named in details), or a run of another kind',
          404: notFound,
          410: 'The log was removed by retention (CAPSTAN_LOG_RETENTION_DAYS)',
        }),
      },
    },
  };
}

/** Paths and tags of the log routes. */
export function logPart(): OpenApiPart {
  return {
    tags: [
      {
        name: 'Logs',
        description:
          'Every task attempt, DAG node and pipeline step keeps its whole log (the head and the tail past CAPSTAN_LOG_MAX_BYTES), secrets masked.',
      },
    ],
    schemas: {},
    requestBodies: {},
    paths: {
      '/v1/runs/{id}/log': logOperation(
        'getTaskLog',
        "A task run's log, whole or followed live",
        [],
        'No such run, or no log yet (the task has not started)',
      ),
      '/v1/runs/{id}/tasks/{key}/log': logOperation(
        'getDagTaskLog',
        "A DAG task's log, whole or followed live",
        [pathParameter('key', TaskKeyParamSchema, 'The task key: its id, with [i] for a matrix branch.')],
        'No such run, or no log for that task (not started yet, or no such task)',
      ),
      '/v1/runs/{id}/jobs/{job}/steps/{step}/log': logOperation(
        'getStepLog',
        "A pipeline step's log, whole or followed live",
        [
          pathParameter(
            'job',
            JobIdParamSchema,
            'The job id in the pipeline file, or `test[2]` for a combination of matrix job `test`.',
          ),
          pathParameter(
            'step',
            StepParamSchema,
            'The step index (from 0), rollback-<index> for a rollback step, or post-<index> for the save of a cache step.',
          ),
        ],
        'No such run, or no log for that step (not started yet, or no such step)',
      ),
      '/v1/runs/{id}/jobs/{job}/services/{service}/log': logOperation(
        'getServiceLog',
        "A pipeline job's service's log (what the service printed), whole or followed live",
        [
          pathParameter('job', JobIdParamSchema, 'The job id in the pipeline file.'),
          pathParameter('service', ServiceParamSchema, "The service name under the job's services."),
        ],
        'No such run, or no log for that service (not started yet, or no such service)',
      ),
    },
  };
}
