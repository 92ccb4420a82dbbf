/** Building blocks of the OpenAPI document: JSON Schemas from zod, parameters, bodies and the shared error answers. */
import { z } from 'zod';
import type { Role } from '../../db/stores/token-roles';
import { IdempotencyKeySchema } from '../schemas';

/** A JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12 as it is). */
export type JsonSchema = Record<string, unknown>;

/** One operation of the document; the builder adds security and the errors every such operation can answer. */
export interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters?: JsonSchema[];
  requestBody?: JsonSchema;
  responses: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
  /** A role the route itself asks for above the access policy's (repositories: admin); the builder folds it in. */
  minimumRole?: Role;
}

/** The HTTP methods the routers use. */
export type Method = 'get' | 'put' | 'post' | 'delete';

/**
 * One capability's share of the document: its tags, named schemas, named request bodies and paths (in
 * OpenAPI form, `{id}`). Request schemas go in request bodies, not schemas: generators read a field
 * with a default as present in answers, and as optional only where they know the schema is sent.
 */
export interface OpenApiPart {
  tags: Array<{ name: string; description: string }>;
  schemas: Record<string, JsonSchema>;
  requestBodies: Record<string, RequestBody>;
  paths: Record<string, Partial<Record<Method, Operation>>>;
}

/**
 * The JSON Schema of a zod schema: `input` for what a client sends (defaults make fields optional),
 * `output` for what the API answers. Nested `$defs` would resolve against the whole document once
 * embedded, so a schema that produces them is refused here rather than documented wrongly.
 */
export function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  if ('$defs' in json)
    throw new Error('a zod schema with $defs (a cycle or a schema id) needs its definitions lifted into components');
  return json;
}

/** A reference to a schema in `components.schemas`. */
export function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** A JSON body (request or response) of the given schema. */
export function jsonContent(schema: JsonSchema): Record<string, { schema: JsonSchema }> {
  return { 'application/json': { schema } };
}

/** A success response with a JSON body. */
export function jsonResponse(description: string, schema: JsonSchema): Record<string, unknown> {
  return { description, content: jsonContent(schema) };
}

/** A named request body in `components.requestBodies`. */
export interface RequestBody {
  description?: string;
  required: boolean;
  content: Record<string, { schema: JsonSchema }>;
}

/** A JSON request body whose schema is the zod schema that validates it. */
export function jsonRequestBody(schema: z.ZodType, description?: string, required = true): RequestBody {
  return { ...(description ? { description } : {}), required, content: jsonContent(schemaOf(schema, 'input')) };
}

/** A reference to a request body in `components.requestBodies`. */
export function bodyRef(name: string): JsonSchema {
  return { $ref: `#/components/requestBodies/${name}` };
}

/** A path parameter whose schema is the zod schema that validates it. */
export function pathParameter(name: string, schema: z.ZodType, description?: string): JsonSchema {
  return {
    name,
    in: 'path',
    required: true,
    ...(description ? { description } : {}),
    schema: schemaOf(schema, 'input'),
  };
}

/** The query parameters of a zod object that validates a query string, one per property. */
export function queryParameters(schema: z.ZodType): JsonSchema[] {
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: json.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

/** The optional `Idempotency-Key` header of the routes that start runs. */
export const IDEMPOTENCY_KEY_HEADER: JsonSchema = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A repeat with the same key and body answers the run the first request started (header Idempotent-Replayed: true).',
  schema: schemaOf(IdempotencyKeySchema, 'input'),
};

/** The statuses an operation may fail with, each answered with the shared error body. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 503;

/** An error response in the one error shape (`components.schemas.Error`). */
export function errorResponse(description: string): Record<string, unknown> {
  return { description, content: jsonContent(ref('Error')) };
}

/** Error responses of one operation, keyed by status, each with what it means there. */
export function errors(described: Partial<Record<ErrorStatus, string>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(described).map(([status, description]) => [status, errorResponse(description)]),
  );
}
