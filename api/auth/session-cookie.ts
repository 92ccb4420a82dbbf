/** The console's session cookie: its name, how it is read from a request, set and cleared. */
import type { CookieOptions, Request, Response } from 'express';

/** The cookie that carries a session's secret. */
export const SESSION_COOKIE = 'capstan_session';

/** The header a cookie-authenticated state-changing request must carry, holding the session's CSRF token. */
export const CSRF_HEADER = 'X-Capstan-CSRF';

/**
 * The session secret the request's Cookie header carries; undefined without one. When a browser
 * sends the name twice (a cookie set for a parent domain too), the first, the most specific, is read.
 */
export function sessionSecretOf(req: Request): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

/**
 * HttpOnly so no script (nor an injected one) reads it; SameSite=Strict so no other site's page
 * makes the browser send it; Path=/ for the API and the console alike; Secure over TLS, or always
 * when the deployment says a TLS proxy is in front (this API does not trust X-Forwarded-Proto).
 */
function cookieOptions(req: Request, alwaysSecure: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: alwaysSecure || req.secure };
}

/** Sets the session cookie, kept by the browser until the session expires. */
export function setSessionCookie(
  req: Request,
  res: Response,
  secret: string,
  expiresAt: Date,
  alwaysSecure: boolean,
): void {
  const maxAge = Math.max(0, expiresAt.getTime() - Date.now());
  res.cookie(SESSION_COOKIE, secret, { ...cookieOptions(req, alwaysSecure), maxAge });
}

/** Tells the browser to drop the session cookie (signed out, or a session that no longer works). */
export function clearSessionCookie(req: Request, res: Response, alwaysSecure: boolean): void {
  res.clearCookie(SESSION_COOKIE, cookieOptions(req, alwaysSecure));
}
