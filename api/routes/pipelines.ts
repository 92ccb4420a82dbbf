/**
 * Pipelines: `POST /v1/pipelines/runs` (a manual run of a repository's pipeline at a commit),
 * and `POST /v1/runs/:id/approve` and `/reject` (a deploy job waiting for approval); step logs are in routes/logs.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Router } from 'express';
import { jsonBody } from '../input/body-parsers';
import { z } from 'zod';
import { approvalUpdate } from '../../workflows/pipeline/definitions';
import { actingPrincipal } from '../auth/principal';
import { ApiError } from '../errors';
import { parsePipelineYaml } from '../pipelines/parse-pipeline';
import { matrixLimitsOf } from '../pipelines/check-matrix';
import { DEFAULT_PIPELINE_PATH, readPipelineFile } from '../pipelines/read-pipeline-file';
import { checkManualInputs } from '../pipelines/manual-inputs';
import { matchTrigger } from '../pipelines/triggers';
import { IdempotencyKeySchema, RunIdSchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import { startPipeline } from '../services/start-pipeline';
import { parseOr400 } from '../validate';

/** Body of `POST /v1/pipelines/runs`. */
export const ManualPipelineRunSchema = z.strictObject({
  repository: z.string().min(1).max(200).describe('Name of the repository, e.g. acme/web.'),
  cloneUrl: z.string().min(1).max(2048).describe('What git fetch accepts: a local path or a remote URL.'),
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character commit SHA'),
  branch: z.string().min(1).max(255),
  pipelinePath: z.string().min(1).max(1024).default(DEFAULT_PIPELINE_PATH),
  inputs: z
    .record(z.string().max(100), z.union([z.string().max(65_536), z.number(), z.boolean()]))
    .optional()
    .describe(
      "Values of the pipeline's on.manual.inputs: a string, number or boolean each (a number or boolean may be sent as its text); defaults fill the rest.",
    ),
});

/** Body of approve and reject. */
export const ApprovalBodySchema = z.strictObject({
  job: z.string().min(1).max(63),
  comment: z.string().max(2000).optional(),
});

/** Routes of pipeline runs. */
export function pipelineRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.post('/v1/pipelines/runs', jsonBody({ limit: deps.maxBodyBytes }), async (req, res) => {
    const body = parseOr400(ManualPipelineRunSchema, req.body, 'request body');
    const rawKey = req.get('idempotency-key');
    const key =
      rawKey === undefined ? undefined : parseOr400(IdempotencyKeySchema, rawKey, 'header', 'Idempotency-Key');
    const text = await readPipelineFile(body.cloneUrl, body.sha, body.pipelinePath);
    const spec = parsePipelineYaml(text, body.pipelinePath, deps.nodeClasses, matrixLimitsOf(deps.dagLimits));
    const match = matchTrigger(spec, { event: 'manual', branch: body.branch });
    if (!match.matched)
      throw new ApiError(422, 'not_triggered', `pipeline "${spec.name}" cannot be run by hand: ${match.reason}`);
    const checked = checkManualInputs(spec.on, body.inputs);
    if (checked.issues.length > 0) {
      const summary = checked.issues.map((i) => `${i.field} ${i.message}`).join('; ');
      throw new ApiError(422, 'invalid_inputs', `inputs of pipeline "${spec.name}": ${summary}`, checked.issues);
    }
    const trigger = {
      event: 'manual' as const,
      repository: body.repository,
      cloneUrl: body.cloneUrl,
      sha: body.sha,
      branch: body.branch,
      ...('inputs' in checked && Object.keys(checked.inputs).length > 0 ? { inputs: checked.inputs } : {}),
      triggeredBy: actingPrincipal()!.name,
    };
    const started = await startPipeline(deps, spec, trigger, key);
    res.locals.runId = started.runId;
    if (!started.created) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json({
      runId: started.runId,
      created: started.created,
      links: { self: `/v1/runs/${encodeURIComponent(started.runId)}` },
    });
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/v1/runs/:id/${decision}`, jsonBody({ limit: 65_536 }), async (req, res) => {
      const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
      res.locals.runId = runId;
      const body = parseOr400(ApprovalBodySchema, req.body, 'request body');
      try {
        const job = await deps.client.workflow.getHandle(runId).executeUpdate(approvalUpdate, {
          args: [
            { jobId: body.job, approve: decision === 'approve', by: actingPrincipal()!.name, comment: body.comment },
          ],
        });
        res.json({ runId, job });
      } catch (err) {
        // The workflow's validator refused: not waiting, not an allowed approver, or the person who triggered the run.
        if (err instanceof WorkflowUpdateFailedError)
          throw new ApiError(409, 'approval_refused', err.cause?.message ?? err.message, [
            { field: 'job', message: err.cause?.message ?? err.message },
          ]);
        throw err;
      }
    });
  }

  return router;
}
