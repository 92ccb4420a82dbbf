/** Checks real answers of the API against what the OpenAPI document says the operation answers. */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import assert from 'node:assert/strict';
import { buildOpenApiDocument } from '../../api/openapi';

type Schema = Record<string, unknown>;
interface Doc {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, Schema> }>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, Schema> };
}

const doc = buildOpenApiDocument() as unknown as Doc;
const DOC_ID = 'capstan-openapi';
// Formats are not checked: the answers are the API's own strings, and the document's formats describe inputs.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: DOC_ID, components: { schemas: doc.components.schemas } });
const compiled = new Map<string, ValidateFunction>();

/** A schema of the document, with its `#/components/…` references pointed at the copy given to ajv. */
function compile(key: string, schema: Schema): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)) as Schema,
    );
    compiled.set(key, validate);
  }
  return validate;
}

/**
 * Asserts that the document lists `status` for the operation (`method` and the OpenAPI path, e.g.
 * `/v1/runs/{id}`) and, for a JSON answer, that `body` matches the schema it gives.
 */
export function assertDocumentedAnswer(method: string, path: string, status: number, body: unknown): void {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  assert.ok(operation, `${method} ${path} is not in the OpenAPI document`);
  let response = operation.responses[String(status)];
  assert.ok(response, `${operation.operationId} answered ${status}, which the document does not list`);
  const sharedRef = response.$ref as string | undefined;
  if (sharedRef) response = doc.components.responses[sharedRef.replace('#/components/responses/', '')]!;
  const schema = (response.content as Record<string, { schema: Schema }> | undefined)?.['application/json']?.schema;
  assert.ok(schema, `${operation.operationId} ${status}: the document gives no JSON schema for this answer`);
  const validate = compile(`${operation.operationId} ${status}`, schema);
  assert.ok(
    validate(body),
    `${operation.operationId} ${status} does not match the document: ${ajv.errorsText(validate.errors)}\n` +
      JSON.stringify(body),
  );
}
