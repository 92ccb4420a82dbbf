/**
 * The repository registry (admin only): `POST /v1/repositories` registers one, `GET` lists them
 * without secrets, `DELETE /v1/repositories/<owner>/<name>` removes one (the name as it is, slashes
 * and all; `%2F` for a slash works too).
 */
import { Router } from 'express';
import { jsonBody } from '../input/body-parsers';
import { z } from 'zod';
import { principalOf } from '../auth/authenticate';
import { requireRole } from '../auth/authorize';
import { withDatabase } from '../auth/database-errors';
import { ApiError } from '../errors';
import { DEFAULT_PIPELINE_PATH } from '../pipelines/read-pipeline-file';
import {
  createRepository,
  deleteRepository,
  FORGE_PROVIDERS,
  listRepositories,
  repositoryView,
} from '../../db/stores/repository-store';
import type { ApiDeps } from '../services/deps';
import type { Logger } from '../../config/logger';
import { deletePipelineSchedule, scheduleAtRegistration, type ScheduleSync } from '../services/pipeline-schedules';
import { parseOr400 } from '../validate';

/** A repository's name on its forge: `owner/name`, or `group/subgroup/name` on GitLab. */
export const RepositoryNameSchema = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/, 'must be owner/name (GitLab: group/…/name) of letters, digits, _ . -')
  .refine((name) => !name.split('/').some((part) => part === '.' || part === '..'), 'may not have . or .. as a part');

/** Body of `POST /v1/repositories`. */
export const CreateRepositoryBodySchema = z
  .strictObject({
    name: RepositoryNameSchema.describe(
      'The name the forge sends in webhooks: repository.full_name (GitHub), project.path_with_namespace (GitLab).',
    ),
    provider: z.enum(FORGE_PROVIDERS),
    cloneUrl: z.string().min(1).max(2048).describe('What git fetch accepts: a local path or a remote URL.'),
    webhookSecret: z
      .string()
      .min(16, 'must be at least 16 characters')
      .max(1024)
      .describe('The secret (GitHub) or token (GitLab) the webhook is configured with.'),
    pipelinePath: z
      .string()
      .min(1)
      .max(1024)
      .refine(
        (path) => !path.startsWith('/') && !path.split('/').includes('..'),
        'must be a path inside the repository (no leading / and no ..)',
      )
      .optional()
      .describe(`Where the pipeline file is; default ${DEFAULT_PIPELINE_PATH}.`),
    statusApiUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2048)
      .optional()
      .describe(
        'Base URL of the forge API for commit statuses: https://api.github.com, https://gitlab.example.com/api/v4.',
      ),
    statusToken: z.string().min(1).max(4096).optional().describe('Token that may post commit statuses.'),
  })
  .superRefine((body, ctx) => {
    // Half a status setup would fail at every report; refuse it here, where the fix is one field away.
    if (body.statusApiUrl !== undefined && body.statusToken === undefined)
      ctx.addIssue({ code: 'custom', path: ['statusToken'], message: 'is needed with statusApiUrl' });
    if (body.statusToken !== undefined && body.statusApiUrl === undefined)
      ctx.addIssue({ code: 'custom', path: ['statusApiUrl'], message: 'is needed with statusToken' });
  });

/** Routes of the repository registry. */
export function repositoryRoutes(deps: ApiDeps, logger: Logger): Router {
  const router = Router();
  router.use('/v1/repositories', requireRole('admin'));
  router.post('/v1/repositories', jsonBody({ limit: 65_536 }), async (req, res) => {
    if (!req.is('application/json')) {
      throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json', [
        { field: 'Content-Type', message: 'must be application/json' },
      ]);
    }
    const body = parseOr400(CreateRepositoryBodySchema, req.body, 'repository');
    res.locals.auditTarget = body.name;
    const created = await withDatabase('registering the repository', () =>
      createRepository(deps.db, { ...body, createdBy: principalOf(res)!.name }),
    );
    if (!created) {
      throw new ApiError(
        409,
        'repository_exists',
        `repository "${body.name}" is registered already; delete it first to register it again`,
        [{ field: 'name', message: 'is registered already' }],
      );
    }
    // The pipeline's schedule, from the default branch's head; a repository that cannot be read now gets one at its next push.
    const schedule = await scheduleAtRegistration(deps, created, logger);
    res.status(201).json({ ...repositoryView(created), schedule: scheduleView(schedule) });
  });
  router.get('/v1/repositories', async (_req, res) => {
    const repositories = await withDatabase('listing repositories', () => listRepositories(deps.db));
    res.json({ repositories: repositories.map(repositoryView) });
  });
  // `*name` takes the rest of the path, so `acme/web` needs no encoding; each segment arrives decoded.
  router.delete('/v1/repositories/*name', async (req, res) => {
    const name = parseOr400(
      RepositoryNameSchema,
      (req.params as { name: string[] }).name.join('/'),
      'repository name',
      'name',
    );
    res.locals.auditTarget = name;
    const removed = await withDatabase('removing the repository', () => deleteRepository(deps.db, name));
    if (!removed) throw new ApiError(404, 'repository_not_found', `no repository "${name}" is registered`);
    await deletePipelineSchedule(deps, removed.name);
    res.json(repositoryView(removed));
  });
  return router;
}

/** The schedule part of a registration's answer: its id, what was done, its crons, or why there is none. */
function scheduleView(sync: ScheduleSync): Record<string, unknown> {
  return {
    id: sync.scheduleId,
    outcome: sync.outcome,
    ...(sync.crons ? { crons: sync.crons } : {}),
    ...(sync.reason ? { reason: sync.reason } : {}),
  };
}
