/** The document's part for pipelines: manual runs, approvals of deploy jobs, step logs, environments deployed to. */
import { z } from 'zod';
import { EnvironmentNameSchema, HistoryQuerySchema } from '../routes/environments';
import { ArtifactNameParamSchema } from '../routes/artifacts';
import { JobIdParamSchema } from '../routes/logs';
import { PipelineCheckSchema } from '../routes/pipeline-check';
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

/** What `POST /v1/pipelines/check` answers. */
const PipelineCheckAnswerSchema = z.object({
  valid: z.boolean().describe('True when the file would be accepted by a run or a webhook of this API.'),
  issues: z
    .array(
      z.object({
        field: z.string().describe('e.g. jobs.build.runs-on'),
        message: z.string(),
        line: z.number().int().optional(),
        column: z.number().int().optional(),
      }),
    )
    .describe('Every problem, in the order of the file; empty when valid.'),
});

const checkPath = {
  '/v1/pipelines/check': {
    post: {
      operationId: 'checkPipeline',
      tags: ['Pipelines'],
      summary: "Validate a pipeline file against this API's node classes, starting nothing",
      description:
        'Answers 200 whether the file is valid or not, with every issue at its line and column (the same ' +
        'checks as a run: schema, node classes, needs, artifacts, outputs). Viewers may call it; not audited.',
      requestBody: bodyRef('PipelineCheckRequest'),
      responses: {
        200: jsonResponse('Whether it is valid, and its issues', ref('PipelineCheck')),
        ...errors({
          400: 'A body without yaml, or yaml that is not text (details name the field)',
          413: 'A body over the size limit, or a file whose check took too long (checks run one at a time, off the event loop)',
        }),
      },
    },
  },
};

/** One artifact a job of the run uploaded. */
const ArtifactSchema = z.object({
  job: z.string().describe('The job that uploaded it.'),
  name: z.string().describe('Its name in the pipeline file.'),
  bytes: z.number().int().describe('Size of the tar.'),
  modifiedAt: z.string().describe('When it was stored (ISO 8601).'),
  href: z.string().describe('Where the tar downloads: GET /v1/runs/{id}/artifacts/{job}/{name}.'),
});

const artifactPaths = {
  '/v1/runs/{id}/artifacts': {
    get: {
      operationId: 'listPipelineArtifacts',
      tags: ['Pipelines'],
      summary: "A pipeline run's artifacts in the artifact store (local directory or S3 bucket)",
      parameters: [runId],
      responses: {
        200: jsonResponse('The artifacts, oldest first', {
          type: 'object',
          required: ['runId', 'artifacts'],
          properties: { runId: { type: 'string' }, artifacts: { type: 'array', items: ref('Artifact') } },
        }),
        ...errors({
          400: 'The run is not a pipeline run',
          404: 'Unknown run',
          503: 'The artifact store cannot be reached; the error names it (object_store_unavailable)',
        }),
      },
    },
  },
  '/v1/runs/{id}/artifacts/{job}/{name}': {
    get: {
      operationId: 'getPipelineArtifact',
      tags: ['Pipelines'],
      summary: 'Download one artifact as the tar the job uploaded (Content-Disposition: attachment)',
      parameters: [
        runId,
        pathParameter('job', JobIdParamSchema, 'The job that uploaded it.'),
        pathParameter('name', ArtifactNameParamSchema, 'The artifact name.'),
      ],
      responses: {
        200: {
          description: 'The tar, streamed',
          content: { 'application/x-tar': { schema: { type: 'string', format: 'binary' } } },
        },
        ...errors({
          400: 'A bad job or artifact name (named in details), or a run that is not a pipeline run',
          404: 'Unknown run, or no such artifact (removed by retention, or never uploaded)',
          503: 'The artifact store cannot be reached; the error names it (object_store_unavailable)',
        }),
      },
    },
  },
};

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
      Artifact: schemaOf(ArtifactSchema, 'output'),
      PipelineCheck: schemaOf(PipelineCheckAnswerSchema, 'output'),
    },
    requestBodies: {
      ManualPipelineRunRequest: jsonRequestBody(ManualPipelineRunSchema),
      ApprovalRequest: jsonRequestBody(ApprovalBodySchema),
      PipelineCheckRequest: jsonRequestBody(PipelineCheckSchema),
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
                'the pipeline has no manual trigger, ' +
                'inputs do not fit on.manual.inputs (invalid_inputs; details name each inputs.<name>: missing, ' +
                'of the wrong type, not among the options, or unknown), ' +
                'or the Idempotency-Key was used for another body',
            }),
          },
        },
      },
      ...checkPath,
      '/v1/runs/{id}/approve': { post: decide('approve') },
      '/v1/runs/{id}/reject': { post: decide('reject') },
      ...artifactPaths,
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
