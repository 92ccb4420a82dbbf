/** Reading the bearer token of a request's Authorization header. */

/** What an Authorization header holds: no header, a bearer token, or something else. */
export type BearerCredentials = { kind: 'none' } | { kind: 'malformed' } | { kind: 'token'; token: string };

/** Reads `Authorization: Bearer <token>` (RFC 6750: the scheme is case-insensitive, the token a b64token). */
export function parseBearer(header: string | undefined): BearerCredentials {
  if (header === undefined || header === '') return { kind: 'none' };
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  return match ? { kind: 'token', token: match[1]! } : { kind: 'malformed' };
}
