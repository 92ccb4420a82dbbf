/**
 * Prometheus metrics of the API: request counts and latencies and runs started through this process, and, given
 * the API's dependencies, the metrics about the work that every API process computes alike (metrics-work/).
 */
import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../config/logger';
import { registerWorkMetrics } from './metrics-work/work-metrics';
import type { ApiDeps } from './services/deps';

/** The API's metrics, in a registry of their own so several apps can live in one process (tests). */
export interface ApiMetrics {
  registry: Registry;
  runsStarted: Counter<'kind'>;
  middleware: RequestHandler;
}

/** Creates the registry, the metrics and the middleware that times every request; `deps` adds the work metrics. */
export function createApiMetrics(deps?: ApiDeps, logger?: Logger): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'capstan_api_' });
  const requests = new Counter({
    name: 'capstan_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'capstan_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'] as const,
    registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const runsStarted = new Counter({
    // capstan_runs_started_total (work metrics) counts every run from the database; this one, this process's starts.
    name: 'capstan_api_runs_started_total',
    help: 'Runs started through this API process, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  if (deps) registerWorkMetrics(registry, deps, logger);
  const middleware: RequestHandler = (req, res, next) => {
    const stop = latency.startTimer();
    res.on('finish', () => {
      // The route pattern, not the path, so run ids do not explode the label set.
      const route = (req.route?.path as string | undefined) ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      stop({ method: req.method, route });
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, runsStarted, middleware };
}
