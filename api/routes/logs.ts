/**
 * Task logs: `GET /v1/runs/:id/log` (a task run's), `GET /v1/runs/:id/tasks/:key/log` (a DAG node's) and
 * `GET /v1/runs/:id/jobs/:job/steps/:step/log` (a pipeline step's), all from the log store, whole or followed.
 */
import { Router } from 'express';
import { z } from 'zod';
import { TaskLogStore } from '../../db/stores/task-log-store';
import { ApiError } from '../errors';
import { serveLog, type LogTarget } from '../logs/serve-log';
import { RunIdSchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import { runSummary } from '../services/run-views';
import { parseOr400 } from '../validate';

/** A DAG node's key in a log path: its id, with `[i]` for a matrix branch. */
export const TaskKeyParamSchema = z.string().min(1).max(300).describe('The node key, e.g. build or test[3].');

/** A job id in a step log's path: `build`, or `test[2]` for a combination of matrix job `test`. */
export const JobIdParamSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_-]{0,62}(\[(0|[1-9][0-9]{0,3})\])?$/,
    'must be a job id, or <job>[<index>] for a matrix combination',
  );

/** A step in a step log's path: its index, rollback-<index> for a rollback step, or post-<index> for a cache step's save. */
export const StepParamSchema = z
  .string()
  .regex(
    /^(rollback-|post-)?(0|[1-9][0-9]{0,3})$/,
    'must be a step index, rollback-<index>, or post-<index> (the save of a cache step)',
  );

/** A service of a job in a service log's path. */
export const ServiceParamSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/, 'must be a service name as the job declares it');

/** Routes that serve task, DAG node and pipeline step logs. */
export function logRoutes(deps: ApiDeps): Router {
  const router = Router();
  const store = new TaskLogStore(deps.db);
  const describe = async (runId: string) => runSummary(await deps.client.workflow.getHandle(runId).describe());
  const isOpen = (runId: string) => async () => (await describe(runId)).status === 'running';

  router.get('/v1/runs/:id/log', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    res.locals.runId = runId;
    const run = await describe(runId); // an unknown run is a 404
    if (run.kind === 'dag')
      throw new ApiError(
        400,
        'not_a_task_run',
        `run "${runId}" is a DAG; read a task's log at /v1/runs/${encodeURIComponent(runId)}/tasks/{key}/log`,
        [{ field: 'id', message: 'is a DAG run; name the task: /v1/runs/{id}/tasks/{key}/log' }],
      );
    if (run.kind !== 'task')
      throw new ApiError(400, 'not_a_task_run', `run "${runId}" is a ${run.kind} run, which has no single task log`, [
        { field: 'id', message: `is a ${run.kind} run; pipelines have /v1/runs/{id}/jobs/{job}/steps/{step}/log` },
      ]);
    await serveLog(store, target(runId, 'task', `task run "${runId}"`, isOpen(runId)), req, res);
  });

  router.get('/v1/runs/:id/tasks/:key/log', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    const key = parseOr400(TaskKeyParamSchema, req.params.key, 'task key', 'key');
    res.locals.runId = runId;
    await describe(runId);
    await serveLog(store, target(runId, key, `task "${key}" of run "${runId}"`, isOpen(runId)), req, res);
  });

  router.get('/v1/runs/:id/jobs/:job/steps/:step/log', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    const job = parseOr400(JobIdParamSchema, req.params.job, 'job', 'job');
    const step = parseOr400(StepParamSchema, req.params.step, 'step', 'step');
    res.locals.runId = runId;
    await describe(runId);
    const label = `step ${step} of job "${job}" in run "${runId}"`;
    await serveLog(store, { ...target(runId, `${job}/${step}`, label, isOpen(runId)), withRestarts: true }, req, res);
  });

  // A service's output, kept like a step's: its own log, since services are not steps (step indexes stay the spec's).
  router.get('/v1/runs/:id/jobs/:job/services/:service/log', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    const job = parseOr400(JobIdParamSchema, req.params.job, 'job', 'job');
    const service = parseOr400(ServiceParamSchema, req.params.service, 'service', 'service');
    res.locals.runId = runId;
    await describe(runId);
    const label = `service "${service}" of job "${job}" in run "${runId}"`;
    await serveLog(
      store,
      { ...target(runId, `${job}/service-${service}`, label, isOpen(runId)), withRestarts: true },
      req,
      res,
    );
  });
  return router;
}

function target(runId: string, taskId: string, label: string, runIsOpen: () => Promise<boolean>): LogTarget {
  return { runId, taskId, label, runIsOpen };
}
