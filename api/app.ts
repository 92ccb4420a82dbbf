/** The Express app: routes, validation and error mapping; no listening and no environment reads here. */
import express, { type Express } from 'express';
import type { Logger } from '../config/logger';
import { apiAccess } from './auth/access';
import { createAuthGuard } from './auth/token-check';
import { sessionRoutes } from './routes/session';
import { ApiError, errorHandler } from './errors';
import { checkQueryAndPath } from './input/text-params';
import { createApiMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { requestContext } from './request-context';
import { serverTiming } from './server-timing';
import { healthRoutes } from './routes/health';
import { nodeClassRoutes } from './routes/node-classes';
import { workerRoutes } from './routes/fleet';
import { outputRoutes } from './routes/outputs';
import { auditRoutes } from './routes/audit';
import { consoleRoutes } from './routes/console';
import { dagRoutes } from './routes/dags';
import { eventRoutes } from './routes/events';
import { logRoutes } from './routes/logs';
import { graphRoutes } from './routes/graph';
import { runRoutes } from './routes/runs';
import { taskRoutes } from './routes/tasks';
import { tokenRoutes } from './routes/tokens';
import { usageRoutes } from './routes/usage';
import { repositoryRoutes } from './routes/repositories';
import { webhookRoutes } from './routes/webhooks';
import { pipelineCheckRoutes } from './routes/pipeline-check';
import { pipelineRoutes } from './routes/pipelines';
import { artifactRoutes } from './routes/artifacts';
import { environmentRoutes } from './routes/environments';
import { stackRoutes } from './routes/stacks';
import { costRoutes } from './routes/costs';
import { alertRoutes } from './routes/alerts';
import type { ApiDeps } from './services/deps';

/** Builds the API over injected dependencies. */
export function createApp(deps: ApiDeps, logger: Logger): Express {
  const app = express();
  const metrics = createApiMetrics(deps, logger);
  const openApi = buildOpenApiDocument();
  app.disable('x-powered-by');
  app.use(requestContext(logger));
  app.use(serverTiming());
  app.use(metrics.middleware);
  app.use(healthRoutes(deps));
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  // Query strings and path segments are held to the text rule before anything reads them.
  app.use(checkQueryAndPath(app));
  // The console's page and assets hold no data; every call the page makes goes through the token check below.
  app.use(consoleRoutes());
  // Every route registered below needs a token (see auth/policy.ts for the open paths and prefixes).
  // One guard for the access chain and sign-in: failed tokens and requests count against the same limits.
  // Found tokens are not cached unless asked: a revocation must hold at once in every API process.
  const guard = createAuthGuard(deps.auth, deps.db, deps.auth.store, deps.caches?.tokenMs ?? 0);
  app.use(apiAccess(deps, logger, guard));
  app.use(sessionRoutes(deps, guard, logger));
  app.use(tokenRoutes(deps, guard));
  app.use(auditRoutes(deps));
  app.use(repositoryRoutes(deps, logger));
  // Under /v1/webhooks/, so the access chain above asks no token: each delivery is checked against its repository's secret.
  app.use(webhookRoutes(deps, logger));
  app.use(taskRoutes(deps, metrics));
  app.use(dagRoutes(deps, metrics));
  app.use(runRoutes(deps));
  app.use(graphRoutes(deps));
  app.use(eventRoutes(deps));
  app.use(logRoutes(deps));
  app.use(nodeClassRoutes(deps));
  app.use(workerRoutes(deps));
  app.use(outputRoutes(deps));
  app.use(usageRoutes(deps));
  app.use(pipelineRoutes(deps));
  app.use(pipelineCheckRoutes(deps));
  app.use(artifactRoutes(deps));
  app.use(environmentRoutes(deps));
  app.use(stackRoutes(deps));
  app.use(costRoutes(deps));
  app.use(alertRoutes(deps));
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));
  return app;
}
