/** Pipeline artifacts: `GET /v1/runs/:id/artifacts` lists a run's, `GET /v1/runs/:id/artifacts/:job/:name` downloads one tar. */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import { openArtifactStore } from '../../config/artifacts/open-artifact-store';
import { guardArtifactStore } from '../object-store-errors';
import { RunIdSchema } from '../schemas';
import { copyArtifact, listArtifacts } from '../services/artifacts';
import type { ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';
import { JobIdParamSchema } from './logs';

/** An artifact name in a path, as the pipeline file spells it. */
export const ArtifactNameParamSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be an artifact name (letters, digits, ".", "_" or "-")');

/** Routes that read the artifact store the workers write. */
export function artifactRoutes(deps: ApiDeps): Router {
  const router = Router();
  const store = guardArtifactStore(openArtifactStore(deps.artifacts));
  router.get('/v1/runs/:id/artifacts', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    res.locals.runId = runId;
    res.json({ runId, artifacts: await listArtifacts(deps, store, runId) });
  });
  router.get('/v1/runs/:id/artifacts/:job/:name', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    res.locals.runId = runId;
    const job = parseOr400(JobIdParamSchema, req.params.job, 'job', 'job');
    const name = parseOr400(ArtifactNameParamSchema, req.params.name, 'artifact name', 'name');
    const copy = await copyArtifact(deps, store, { runId, job, name });
    try {
      res.setHeader('Content-Type', 'application/x-tar');
      res.setHeader('Content-Length', String(copy.bytes));
      res.attachment(`${name}.tar`);
      await pipeline(createReadStream(copy.path), res);
    } finally {
      await copy.dispose();
    }
  });
  return router;
}
