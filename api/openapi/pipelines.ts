/** The document's part for pipelines: manual runs, approvals of deploy jobs, step logs, environments deployed to. */
import { z } from 'zod';
import { EnvironmentNameSchema, HistoryQuerySchema } from '../routes/environments';
import { ApprovalBodySchema, ManualPipelineRunSchema } from '../routes/pipelines';
import { RunIdSchema } from '../schemas';
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
  type Operation,
} from './shared';

/** One successful deploy of a pipeline job to an environment. */
const DeploymentSchema = z.object({
  environment: z.string(),
  repository: z.string(),
  pipeline: z.string(),
  runId: z.string(),
  jobId: z.string(),
  sha: z.string(),
  triggeredBy: z.string(),
  deployedAt: z.string().optional(),
});

const runId = pathParameter('id', RunIdSchema, 'The pipeline run id.');

function decide(decision: 'approve' | 'reject'): Operation {
  return {
    operationId: `${decision}PipelineJob`,
    tags: ['Pipelines'],
    summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a pipeline job that waits for approval`,
    description: 'The approver must be allowed by the job and may not be the person who triggered the run.',
    parameters: [runId],
    requestBody: bodyRef('ApprovalRequest'),
    responses: {
      200: jsonResponse('The decision was taken; the job as it is now', {
        type: 'object',
        required: ['runId', 'job'],
        properties: {
          runId: { type: 'string' },
          job: { type: 'object', description: 'The job with its approval' },
        },
      }),
      ...errors({ 404: 'Unknown run', 409: 'Refused: the job is not waiting, or this principal may not decide it' }),
    },
  };
}

/** Pipeline runs, their approvals and logs, and the deploy history of environments. */
export function pipelinePart(): OpenApiPart {
  return {
    tags: [
      {
        name: 'Pipelines',
        description: "CI/CD pipelines from a repository's pipeline file: manual runs, approvals, step logs.",
      },
      { name: 'Environments', description: 'What each environment runs now, and its deploy history.' },
    ],
    schemas: {
      Deployment: schemaOf(DeploymentSchema, 'output'),
    },
    requestBodies: {
      ManualPipelineRunRequest: jsonRequestBody(ManualPipelineRunSchema),
      ApprovalRequest: jsonRequestBody(ApprovalBodySchema),
    },
    paths: {
      '/v1/pipelines/runs': {
        post: {
          operationId: 'startPipelineRun',
          tags: ['Pipelines'],
          summary: "Run a repository's pipeline by hand at a commit",
          parameters: [IDEMPOTENCY_KEY_HEADER],
          requestBody: bodyRef('ManualPipelineRunRequest'),
          responses: {
            202: jsonResponse(
              'Run started (or, with a replayed Idempotency-Key, the run it started before)',
              ref('StartedRun'),
            ),
            ...errors({
              400: 'Invalid body, or an invalid pipeline file at that commit (details list every issue, with lines)',
              422:
                'The commit cannot be fetched, it has no pipeline file, ' +
                'the pipeline has no manual trigger for the branch, ' +
                'or the Idempotency-Key was used for another body',
            }),
          },
        },
      },
      '/v1/runs/{id}/approve': { post: decide('approve') },
      '/v1/runs/{id}/reject': { post: decide('reject') },
      '/v1/environments': {
        get: {
          operationId: 'listEnvironments',
          tags: ['Environments'],
          summary: 'Every environment with its current deployment',
          responses: {
            200: jsonResponse('The environments', {
              type: 'object',
              required: ['environments'],
              properties: {
                environments: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['name', 'current'],
                    properties: {
                      name: { type: 'string' },
                      current: ref('Deployment'),
                    },
                  },
                },
              },
            }),
          },
        },
      },
      '/v1/environments/{name}/deployments': {
        get: {
          operationId: 'listDeployments',
          tags: ['Environments'],
          summary: "An environment's deploy history, newest first",
          parameters: [pathParameter('name', EnvironmentNameSchema), ...queryParameters(HistoryQuerySchema)],
          responses: {
            200: jsonResponse('The deployments', {
              type: 'object',
              required: ['environment', 'deployments'],
              properties: {
                environment: { type: 'string' },
                deployments: { type: 'array', items: ref('Deployment') },
              },
            }),
          },
        },
      },
    },
  };
}
