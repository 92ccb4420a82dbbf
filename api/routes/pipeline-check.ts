/**
 * `POST /v1/pipelines/check` `{ yaml, source? }`: validates a pipeline file against this API's node
 * classes and answers its issues with line and column, starting nothing (`capstan pipeline import --check`).
 */
import { Router } from 'express';
import { z } from 'zod';
import { jsonBody } from '../input/body-parsers';
import { checkPipelineOffThread } from '../pipelines/check-thread';
import { MAX_PIPELINE_SPEC_BYTES } from '../pipelines/parse-pipeline';
import type { PipelineIssue } from '../pipelines/pipeline-issue';
import type { ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';

/** Body of `POST /v1/pipelines/check`. */
export const PipelineCheckSchema = z.strictObject({
  yaml: z.string().min(1).max(MAX_PIPELINE_SPEC_BYTES).describe('The pipeline file as text.'),
  source: z
    .string()
    .min(1)
    .max(1024)
    .default('pipeline.yaml')
    .describe('The file name that starts each issue message.'),
});

/** What the check answers: whether the file would run here, and every issue when not. */
export interface PipelineCheckAnswer {
  valid: boolean;
  issues: PipelineIssue[];
}

/** The route that checks pipeline files. */
export function pipelineCheckRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.post('/v1/pipelines/check', jsonBody({ limit: deps.maxBodyBytes }), async (req, res) => {
    const body = parseOr400(PipelineCheckSchema, req.body, 'request body');
    const answer: PipelineCheckAnswer = await checkPipelineOffThread({
      yaml: body.yaml,
      source: body.source,
      nodeClasses: deps.nodeClasses,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.json(answer);
  });
  return router;
}
