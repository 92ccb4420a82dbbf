/**
 * Defences of cookie-authenticated requests against cross-site request forgery. SameSite=Strict
 * keeps a browser from sending the cookie from another site; on top of it, a state change must come
 * from a page of this API's own origin (Sec-Fetch-Site, Origin) and carry the session's CSRF token,
 * which only a page of this origin can have read. Bearer requests need none of it: no browser adds
 * an Authorization header on its own.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { ApiError } from '../errors';
import { CSRF_HEADER } from './session-cookie';

/** Longest part of a refused Origin header quoted back. */
const MAX_QUOTED = 200;

/** The host part of `origin` is this request's Host, compared as URLs compare them (case, default ports). */
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const from = new URL(origin);
    if (from.protocol !== 'http:' && from.protocol !== 'https:') return false;
    // The scheme is not compared: behind a TLS proxy the API sees http while the page is https.
    return from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/**
 * Refuses (403 `cross_site_request`) a request the browser says comes from another site
 * (`Sec-Fetch-Site: cross-site`), or whose `Origin` is present and is not this API's own; `what`
 * names the request in the message.
 */
export function refuseCrossSite(req: Request, what = 'a request made with the session cookie'): void {
  const fetchSite = req.get('sec-fetch-site');
  const origin = req.get('origin');
  let reason: string | undefined;
  if (fetchSite?.trim().toLowerCase() === 'cross-site') reason = 'the browser says it comes from another site';
  else if (origin !== undefined && !isOwnOrigin(origin, req.get('host')))
    reason = `its Origin ${JSON.stringify(origin.slice(0, MAX_QUOTED))} is not this API's own`;
  if (reason === undefined) return;
  const message = `refused ${what} from another site: ${reason}; nothing was done`;
  throw new ApiError(403, 'cross_site_request', message, [
    { field: fetchSite?.trim().toLowerCase() === 'cross-site' ? 'Sec-Fetch-Site' : 'Origin', message: reason },
  ]);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Refuses (403 `csrf_failed`) a request whose X-Capstan-CSRF header is missing or not the session's token. */
export function requireCsrfToken(req: Request, expected: string): void {
  const sent = req.get(CSRF_HEADER);
  // Compared as digests, so the comparison takes the same time whatever the lengths and wherever they differ.
  if (sent !== undefined && timingSafeEqual(digest(sent), digest(expected))) return;
  const message =
    sent === undefined
      ? `a change made with the session cookie needs the ${CSRF_HEADER} header: send the csrfToken that POST /v1/session or GET /v1/session answered`
      : `the ${CSRF_HEADER} header is not this session's CSRF token: read it again with GET /v1/session`;
  throw new ApiError(403, 'csrf_failed', message, [{ field: CSRF_HEADER, message }]);
}
