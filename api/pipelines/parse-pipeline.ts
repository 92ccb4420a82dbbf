/**
 * Reads a pipeline spec from a YAML file or a JSON body and validates it: the schema, then (once
 * the shape is right) the checks of check-pipeline. Each stage reports all of its problems at once,
 * and a file's problems name their line and column.
 */
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { NodeClass } from '../../config/node-classes';
import { PipelineSpecSchema, type PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { checkPipeline } from './check-pipeline';
import { DEFAULT_MATRIX_LIMITS, type PipelineMatrixLimits } from './check-matrix';
import { fieldOf, PipelineSpecError, type PathIssue, type PipelineIssue, type SpecPath } from './pipeline-issue';
import { schemaIssues } from './schema-issues';
import { textIssues } from '../../workflows/contracts/text-rule';
import { positionOf, type Position } from './yaml-positions';

export { PipelineSpecError } from './pipeline-issue';

/**
 * Most bytes of a pipeline, as text and as the JSON of the validated spec: the spec travels in the
 * run's workflow input, and Temporal refuses payloads over 2 MB.
 */
export const MAX_PIPELINE_SPEC_BYTES = 1_000_000;

/** Parses and validates pipeline YAML; `source` (a file name) starts every line of the error. */
export function parsePipelineYaml(
  text: string,
  source: string,
  nodeClasses: NodeClass[],
  limits: PipelineMatrixLimits = DEFAULT_MATRIX_LIMITS,
): PipelineSpec {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PIPELINE_SPEC_BYTES)
    throw tooLarge(
      source,
      '(file)',
      `is ${bytes} bytes; a pipeline file may be at most ${MAX_PIPELINE_SPEC_BYTES} bytes (1 MB)`,
    );
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new PipelineSpecError(
      source,
      doc.errors.map((error) => syntaxIssue(error, lineCounter)),
      400,
      'malformed_yaml',
    );
  }
  let raw: unknown;
  try {
    // The alias cap keeps a "billion laughs" file from expanding into gigabytes.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new PipelineSpecError(
      source,
      [{ field: '(file)', message: `is not valid YAML: ${(err as Error).message}`, line: 1, column: 1 }],
      400,
      'malformed_yaml',
    );
  }
  const locate = (path: SpecPath): Position => positionOf(doc, lineCounter, path) ?? { line: 1, column: 1 };
  return validate(raw, source, nodeClasses, limits, locate);
}

/** Validates a pipeline sent as a parsed JSON body; the same checks as a file, without positions. */
export function parsePipelineObject(
  value: unknown,
  nodeClasses: NodeClass[],
  source = 'request body',
  limits: PipelineMatrixLimits = DEFAULT_MATRIX_LIMITS,
): PipelineSpec {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > MAX_PIPELINE_SPEC_BYTES)
    throw tooLarge(
      source,
      '(body)',
      `is ${bytes} bytes of JSON; a pipeline may be at most ${MAX_PIPELINE_SPEC_BYTES} bytes (1 MB)`,
    );
  return validate(value, source, nodeClasses, limits);
}

function validate(
  raw: unknown,
  source: string,
  nodeClasses: NodeClass[],
  limits: PipelineMatrixLimits,
  locate?: (path: SpecPath) => Position,
): PipelineSpec {
  if (raw === null || raw === undefined) {
    throw new PipelineSpecError(
      source,
      located([{ path: [], message: 'is empty; a pipeline needs at least name and jobs' }], locate),
    );
  }
  // The text rule first (NUL, lone surrogates, `__proto__`), as for an API body: it holds whatever the shape.
  const textual = textIssues(raw);
  if (textual.length > 0) throw new PipelineSpecError(source, located(textual, locate));
  const result = PipelineSpecSchema.safeParse(raw);
  const shapeIssues = result.success ? [] : schemaIssues(result.error.issues, raw);
  // The checks need a spec of the right shape, so they run only once the schema passes.
  if (!result.success || shapeIssues.length > 0) throw new PipelineSpecError(source, located(shapeIssues, locate));
  const spec = result.data;
  const issues = checkPipeline(
    spec,
    nodeClasses.map((c) => c.name),
    limits,
  );
  if (issues.length > 0) throw new PipelineSpecError(source, located(issues, locate));
  // Defaults (retry, timeouts, env) are filled in now, so the spec that runs can outgrow the text.
  const specBytes = Buffer.byteLength(JSON.stringify(spec), 'utf8');
  if (specBytes > MAX_PIPELINE_SPEC_BYTES) {
    throw tooLarge(
      source,
      '(root)',
      `is ${specBytes} bytes of JSON with defaults filled in; at most ${MAX_PIPELINE_SPEC_BYTES} fit in a run's input`,
    );
  }
  return spec;
}

/** Issues with field names and, for a file, positions, in the order they appear in it. */
function located(issues: PathIssue[], locate?: (path: SpecPath) => Position): PipelineIssue[] {
  const named = issues.map(({ path, message }) => ({ field: fieldOf(path), message, ...locate?.(path) }));
  if (!locate) return named;
  return named.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function syntaxIssue(error: YAMLError, lineCounter: LineCounter): PipelineIssue {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  // yaml's advice for this one names its own API; an author needs to know what to change in the file.
  const message =
    error.code === 'MULTIPLE_DOCS'
      ? 'a pipeline file holds one YAML document; remove the extra "---" and what follows it'
      : error.message;
  return { field: '(yaml)', message, line, column: col };
}

function tooLarge(source: string, field: string, message: string): PipelineSpecError {
  return new PipelineSpecError(source, [{ field, message }], 413, 'payload_too_large');
}
