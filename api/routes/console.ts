/** The console: the built web app (dist/web) served at `/`, with index.html for every deep link. */
import express, { Router, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the prepare step builds the console: dist/web, beside this file's dist/api. */
export const DEFAULT_CONSOLE_DIR = join(__dirname, '..', '..', 'web');

/**
 * The policy of every console answer: only this origin's own files, no inline script or style, never
 * framed, no <base> and forms posting only here; together with React rendering every run's text as
 * text, a task named like markup stays a name.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * True for a path the API answers: `/v1` and below, and the probes and metrics registered before the
 * console. Express matches routes ignoring case, so this does too, or `/V1/runs` would get the page.
 */
function isApiPath(path: string): boolean {
  const lower = path.toLowerCase();
  return lower === '/v1' || lower.startsWith('/v1/');
}

/**
 * Serves the console when it has been built: hashed assets (cached for good, since a new build has new
 * names), and index.html for any other GET outside the API so `/runs/x` opens on its page. Registered
 * before the token check: the page itself holds no data, and every call it makes is authenticated.
 */
export function consoleRoutes(dir: string = DEFAULT_CONSOLE_DIR): Router {
  const router = Router();
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return router;
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, setHeaders: secure }),
    // An asset of an older build: a plain 404, not the page, or a stale tab would run HTML as script.
    (req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      secure(res);
      res.status(404).type('text/plain').send(`no console asset ${req.path}`);
    },
  );
  router.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(req.path)) return next();
    secure(res);
    // The page must be asked for again after a deploy, or it would load assets that are gone.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
