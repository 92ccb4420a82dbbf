/** Which paths need a token, and which role each request needs: the one place that decides it. */
import type { Role } from '../../db/stores/token-roles';

/** Paths that answer without a token: probes, metrics and the API's own description. */
export const OPEN_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics', '/v1/openapi.json'];

/**
 * Path prefixes whose routes authenticate callers themselves (webhooks check a signature of the
 * sender); a route added under one of them must do its own check, since no token is asked for.
 */
export const SIGNATURE_AUTH_PREFIXES: readonly string[] = ['/v1/webhooks/'];

/**
 * The console's session: `POST` signs in with a token in the body (so it needs none in a header),
 * `GET` reads the session and `DELETE` signs out, which any role may do.
 */
export const SESSION_PATH = '/v1/session';

/**
 * POST routes that change nothing: they take a spec in a body (too large for a query string) and
 * only answer about it. A viewer may use them, and they are not audited (the console's editor asks
 * on every pause in typing); a session cookie still needs its CSRF token for them, as for any POST.
 */
export const READ_ONLY_POSTS: readonly string[] = ['/v1/dags/plan', '/v1/pipelines/check'];

/** Prefixes of routes only admins may use, whatever the method: tokens and the audit log. */
export const ADMIN_PREFIXES: readonly string[] = ['/v1/tokens', '/v1/audit'];

/**
 * The path as Express matches it: routing ignores case and a trailing slash, so the policy must
 * too, or `/V1/Tokens/` would reach the tokens routes without being seen as an admin path.
 */
function routingForm(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/**
 * True for a request that needs a token (a bearer header or a session cookie): everything except
 * the open paths, the signature-checked prefixes and signing in. Failing closed means an unknown
 * path answers 401, not 404, without a token.
 */
export function needsToken(path: string, method = 'GET'): boolean {
  const form = routingForm(path);
  if (OPEN_PATHS.includes(form)) return false;
  if (form === SESSION_PATH && method.toUpperCase() === 'POST') return false;
  return !SIGNATURE_AUTH_PREFIXES.some((prefix) => `${form}/`.startsWith(prefix));
}

/** True for a request that may change state, and so needs the CSRF defences: anything but GET and HEAD. */
export function isStateChanging(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** True for a request that is audited: one that may change state, except the read-only POSTs. */
export function isAudited(method: string, path: string): boolean {
  return isStateChanging(method) && !isReadOnlyPost(method, path);
}

function isReadOnlyPost(method: string, path: string): boolean {
  return method.toUpperCase() === 'POST' && READ_ONLY_POSTS.includes(routingForm(path));
}

/**
 * The least role a request needs: admin under the admin prefixes, viewer for the session (signing
 * out is no change to what Capstan runs) and the read-only POSTs, else viewer to read and operator to change.
 */
export function requiredRole(method: string, path: string): Role {
  const form = routingForm(path);
  if (form === SESSION_PATH) return 'viewer';
  if (ADMIN_PREFIXES.some((prefix) => form === prefix || form.startsWith(`${prefix}/`))) return 'admin';
  if (isReadOnlyPost(method, path)) return 'viewer';
  return isStateChanging(method) ? 'operator' : 'viewer';
}
