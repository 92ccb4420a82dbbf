/**
 * The OpenAPI 3.1 document of the API, assembled from one part per capability. Request schemas are
 * the zod schemas that validate requests; who may call what comes from the access policy itself.
 */
import { isStateChanging, needsToken, requiredRole } from '../auth/policy';
import { CSRF_HEADER, SESSION_COOKIE } from '../auth/session-cookie';
import { roleAtLeast } from '../../db/stores/token-roles';
import { ErrorBodySchema } from '../schemas';
import { adminPart } from './admin';
import { alertPart } from './alerts';
import { costPart } from './costs';
import { logPart } from './logs';
import { pipelinePart } from './pipelines';
import { repositoryPart } from './repositories';
import { runPart } from './runs';
import { servicePart } from './service';
import { sessionPart } from './session';
import { errorResponse, schemaOf, type JsonSchema, type Method, type OpenApiPart, type Operation } from './shared';
import { stackPart } from './stacks';
import { workerPart } from './fleet';

/** Every part of the document, in the order its tags are listed. */
const PARTS: readonly (() => OpenApiPart)[] = [
  runPart,
  logPart,
  pipelinePart,
  repositoryPart,
  stackPart,
  costPart,
  alertPart,
  adminPart,
  sessionPart,
  servicePart,
  workerPart,
];

/** Answers every token-checked operation can give, shared so each is written once. */
const SHARED_RESPONSES = {
  Unauthorized: {
    ...errorResponse(
      'No token, a malformed Authorization header, an unknown, revoked or expired token, or a session cookie whose session ended (signed out, expired, or its token revoked or expired)',
    ),
    headers: {
      'WWW-Authenticate': {
        description: 'Bearer realm="capstan", with error="invalid_token" when a token was sent',
        schema: { type: 'string' },
      },
    },
  },
  Forbidden: errorResponse(
    `The token's role is below the role this operation needs (forbidden); or, made with the session cookie, the ${CSRF_HEADER} header is missing or wrong (csrf_failed) or the request came from another site (cross_site_request)`,
  ),
  TooManyRequests: {
    ...errorResponse("Over the token's rate limit; nothing was done"),
    headers: {
      'Retry-After': { description: 'Seconds until a request will be accepted', schema: { type: 'integer' } },
    },
  },
  Unavailable: errorResponse("Capstan's database or Temporal is not reachable; nothing was done, retry later"),
  PayloadTooLarge: errorResponse(
    "The body is larger than this route's limit (also when it grows past it as it is inflated)",
  ),
  UnsupportedMediaType: errorResponse('A Content-Type or Content-Encoding this route does not accept'),
  InvalidRequest: errorResponse('Invalid input; details name each field'),
  Failure: errorResponse('Any other failure (500 internal error, with a request id in the API log), in the same shape'),
};

const responseRef = (name: keyof typeof SHARED_RESPONSES) => ({ $ref: `#/components/responses/${name}` });

/** Adds what the access policy and the body parsers make an operation answer, so no part has to repeat it. */
function complete(method: Method, path: string, { minimumRole, ...operation }: Operation): Operation {
  const responses: Record<string, unknown> = { ...operation.responses };
  const add = (status: string, name: keyof typeof SHARED_RESPONSES) => {
    responses[status] ??= responseRef(name);
  };
  const hasInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
  if (hasInput) add('400', 'InvalidRequest');
  // Open operations say so with `security: []`; the rest take the document's default, a bearer token or the session cookie.
  const security = needsToken(path, method.toUpperCase()) ? undefined : [];
  let description = operation.description;
  if (security === undefined) {
    const policyRole = requiredRole(method.toUpperCase(), path);
    const role = minimumRole && !roleAtLeast(policyRole, minimumRole) ? minimumRole : policyRole;
    add('401', 'Unauthorized');
    // A change made with the session cookie may also be refused by the CSRF defences, whatever role it needs.
    if (role !== 'viewer' || isStateChanging(method.toUpperCase())) add('403', 'Forbidden');
    add('429', 'TooManyRequests');
    add('503', 'Unavailable');
    description = [`Needs a token with the ${role} role or above.`, description].filter(Boolean).join(' ');
  }
  if (operation.requestBody) {
    add('413', 'PayloadTooLarge');
    add('415', 'UnsupportedMediaType');
  }
  responses.default = responseRef('Failure');
  const sorted = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
  return {
    ...operation,
    ...(description ? { description } : {}),
    ...(security ? { security } : {}),
    responses: sorted,
  };
}

/** Builds the OpenAPI 3.1 document of the API. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const schemas: Record<string, JsonSchema> = { Error: schemaOf(ErrorBodySchema, 'input') };
  const paths: Record<string, Partial<Record<Method, Operation>>> = {};
  const requestBodies: OpenApiPart['requestBodies'] = {};
  const tags: OpenApiPart['tags'] = [];
  const operationIds = new Set<string>();
  for (const part of PARTS.map((build) => build())) {
    tags.push(...part.tags);
    for (const [name, schema] of Object.entries(part.schemas)) {
      if (name in schemas) throw new Error(`two parts of the OpenAPI document define the schema ${name}`);
      schemas[name] = schema;
    }
    for (const [name, body] of Object.entries(part.requestBodies)) {
      if (name in requestBodies) throw new Error(`two parts of the OpenAPI document define the request body ${name}`);
      requestBodies[name] = body;
    }
    for (const [path, item] of Object.entries(part.paths)) {
      const target = (paths[path] ??= {});
      for (const [method, operation] of Object.entries(item) as Array<[Method, Operation]>) {
        if (target[method]) throw new Error(`two parts of the OpenAPI document define ${method.toUpperCase()} ${path}`);
        if (operationIds.has(operation.operationId))
          throw new Error(`operationId ${operation.operationId} is used twice`);
        operationIds.add(operation.operationId);
        target[method] = complete(method, path, operation);
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Capstan API',
      version: '1',
      description:
        'Start and inspect durable runs on Temporal: tasks, DAGs, pipelines and Pulumi stack operations. ' +
        'Every failure answers `{ error: { code, message, details } }`; details name each bad field.',
    },
    // Roles: viewer reads, operator also changes state,
    // admin also manages tokens and repositories and reads the audit log.
    security: [{ bearer: [] }, { session: [] }],
    tags,
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (cap_…), created with POST /v1/tokens or `capstan token create`.',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: `A browser's session, set by POST /v1/session; a Bearer header wins over it. Requests that are not GET or HEAD made with it need the ${CSRF_HEADER} header.`,
        },
      },
      schemas,
      requestBodies,
      responses: SHARED_RESPONSES,
    },
  };
}
