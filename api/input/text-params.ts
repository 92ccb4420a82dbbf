/**
 * The text rule over query strings and path parameters, before any route sees them: a `%00` in
 * `?action=` or in `/v1/runs/a%00b/cancel` is a 400 naming `query.action` or `path.id`, never a
 * database error. Path segments are checked as the router will decode them.
 */
import type { Express, RequestHandler } from 'express';
import { fieldPath, type FieldIssue } from '../../config/zod-issues';
import { textIssues, textProblem } from '../../workflows/contracts/text-rule';
import { validationError } from '../errors';

/** Middleware checking `req.query` and every path segment; `app` gives the routes' parameter names. */
export function checkQueryAndPath(app: Express): RequestHandler {
  let routes: string[][] | undefined;
  return (req, _res, next) => {
    const issues: FieldIssue[] = textIssues(req.query, ['query']).map((i) => ({
      field: fieldPath(i.path),
      message: i.message,
    }));
    const segments = req.path.split('/');
    segments.forEach((segment, index) => {
      const problem = segmentProblem(segment);
      if (problem === undefined) return;
      // Routes are all registered by the first request, so the table is read once, then.
      routes ??= routePatterns(app);
      issues.push({ field: parameterAt(routes, segments, index), message: problem });
    });
    if (issues.length > 0) throw validationError(issues, 'request');
    next();
  };
}

function segmentProblem(segment: string): string | undefined {
  if (!segment.includes('%')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return 'is not valid percent-encoded UTF-8';
  }
  return textProblem(decoded);
}

/** Every route path of the app, split into segments, e.g. `['', 'v1', 'runs', ':id', 'attempts']`. */
export function routePatterns(app: Express): string[][] {
  const paths: string[] = [];
  const collect = (stack: unknown): void => {
    if (!Array.isArray(stack)) return;
    for (const layer of stack as { route?: { path?: unknown }; handle?: { stack?: unknown } }[]) {
      if (typeof layer.route?.path === 'string') paths.push(layer.route.path);
      else collect(layer.handle?.stack);
    }
  };
  collect((app as unknown as { router?: { stack?: unknown } }).router?.stack);
  return paths.map((path) => path.split('/'));
}

/** `path.<name>` for the parameter of a route matching the request at `index`; `path` when none does. */
export function parameterAt(routes: string[][], segments: string[], index: number): string {
  for (const route of routes) {
    const name = matchParameter(route, segments, index);
    if (name !== undefined) return `path.${name}`;
  }
  return 'path';
}

function matchParameter(route: string[], segments: string[], index: number): string | undefined {
  let name: string | undefined;
  for (let i = 0; i < route.length; i++) {
    const pattern = route[i]!;
    if (pattern.startsWith('*')) return index >= i ? pattern.slice(1) : name;
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (pattern.startsWith(':')) {
      if (i === index) name = pattern.slice(1);
    } else if (pattern.toLowerCase() !== segment.toLowerCase()) {
      return undefined;
    }
  }
  // Routing ignores one trailing slash.
  const extra = segments.length - route.length;
  return extra === 0 || (extra === 1 && segments.at(-1) === '') ? name : undefined;
}
