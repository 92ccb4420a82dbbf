/** The document's part for the console's session: sign in with a token, read the session, sign out. */
import { SessionViewSchema, SignInBodySchema } from '../auth/schemas';
import { CSRF_HEADER, SESSION_COOKIE } from '../auth/session-cookie';
import { bodyRef, errors, jsonRequestBody, jsonResponse, ref, schemaOf, type OpenApiPart } from './shared';

const SET_COOKIE = {
  'Set-Cookie': {
    description: `${SESSION_COOKIE}=<opaque>; Max-Age=…; Path=/; HttpOnly; SameSite=Strict (and Secure over https)`,
    schema: { type: 'string' },
  },
};

/** Sign-in, the session and sign-out. */
export function sessionPart(): OpenApiPart {
  return {
    tags: [
      {
        name: 'Session',
        description:
          `A browser's sign-in: a token exchanged for an HttpOnly, SameSite=Strict cookie (${SESSION_COOKIE}) that every ` +
          `route accepts in place of a bearer token. A request that is not GET or HEAD made with the cookie must carry ` +
          `${CSRF_HEADER} (403 csrf_failed otherwise) and come from this API's own origin (403 cross_site_request).`,
      },
    ],
    schemas: { Session: schemaOf(SessionViewSchema, 'output') },
    requestBodies: { SignInRequest: jsonRequestBody(SignInBodySchema) },
    paths: {
      '/v1/session': {
        post: {
          operationId: 'createSession',
          tags: ['Session'],
          summary: 'Sign in: exchange a token for a session cookie',
          description:
            'The token goes in the body, never in a URL (a query string is refused). The session acts as the token, ' +
            'with its principal, role and rate limit; it ends after CAPSTAN_SESSION_HOURS (never after the token ' +
            'expires), at sign-out, or as soon as the token is revoked. Signing in again ends the session the ' +
            'browser had. Failed sign-ins count against the address like failed bearer tokens.',
          requestBody: bodyRef('SignInRequest'),
          responses: {
            200: { ...jsonResponse('Signed in; the cookie is set', ref('Session')), headers: SET_COOKIE },
            ...errors({
              401: 'The token is unknown, revoked or expired (details name the field token)',
              403: 'A sign-in from a page of another site (cross_site_request)',
              415: 'Body is not JSON',
              429: "Too many failed sign-ins from this address, or over the token's rate limit",
              503: "Capstan's database is not reachable; nothing was done",
            }),
          },
        },
        get: {
          operationId: 'getSession',
          tags: ['Session'],
          summary: 'The session of the cookie: who, which role, until when, and its CSRF token',
          description: 'A request authenticated by a bearer token has no session: 401.',
          responses: { 200: jsonResponse('The session', ref('Session')) },
        },
        delete: {
          operationId: 'deleteSession',
          tags: ['Session'],
          summary: 'Sign out: end the session of the cookie and clear the cookie',
          description: `With the cookie, needs ${CSRF_HEADER} like every change.`,
          responses: { 204: { description: 'Signed out; the cookie is cleared', headers: SET_COOKIE } },
        },
      },
    },
  };
}
