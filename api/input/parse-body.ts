/**
 * Turns the text of a request body into a value, or says why it cannot: the JSON scanner or YAML
 * parser, then the text rule over every key and string. Pure and synchronous, so the same function
 * runs on the main thread for small bodies and in a worker thread for large ones.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { fieldPath, type FieldIssue } from '../../config/zod-issues';
import { textIssues } from '../../workflows/contracts/text-rule';
import { JsonScanError, scanJson } from './json-scan';

/** The formats a body may come in. */
export type BodyFormat = 'json' | 'yaml';

/** One body to parse; `maxValueBytes` bounds the value's JSON size, checked where it was parsed. */
export interface ParseJob {
  text: string;
  format: BodyFormat;
  maxValueBytes?: number;
}

/** What parsing a body gave: a value, a body that is not JSON/YAML, bad fields, or a value too large. */
export type ParseOutcome =
  | { kind: 'value'; value: unknown }
  | { kind: 'malformed'; code: 'malformed_json' | 'malformed_yaml'; message: string; details: FieldIssue[] }
  | { kind: 'invalid'; issues: FieldIssue[] }
  | { kind: 'too-large'; bytes: number };

/** Parses and checks one body. */
export function parseBody(job: ParseJob): ParseOutcome {
  let value: unknown;
  try {
    value = job.format === 'json' ? scanJson(job.text) : parseYaml(job.text, { maxAliasCount: 100 });
  } catch (err) {
    return refusal(err, job.format);
  }
  if (job.maxValueBytes !== undefined || job.format === 'yaml') {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      // Only YAML gets here: an alias inside the node it names makes a value no spec can be.
      const message = 'an alias refers to a node that contains it; a spec must be a tree';
      return {
        kind: 'malformed',
        code: 'malformed_yaml',
        message: `request body is not valid YAML: ${message}`,
        details: [{ field: '(body)', message }],
      };
    }
    // Measured here, so a value too large to keep is never copied back to the main thread, nor walked.
    const bytes = Buffer.byteLength(json ?? '');
    if (job.maxValueBytes !== undefined && bytes > job.maxValueBytes) return { kind: 'too-large', bytes };
  }
  const issues = textIssues(value).map((issue) => ({
    field: fieldPath(issue.path) || '(body)',
    message: issue.message,
  }));
  if (issues.length > 0) return { kind: 'invalid', issues };
  return { kind: 'value', value };
}

function refusal(err: unknown, format: BodyFormat): ParseOutcome {
  if (err instanceof JsonScanError) {
    if (err.kind === 'syntax') {
      return {
        kind: 'malformed',
        code: 'malformed_json',
        message: 'request body is not valid JSON',
        details: [{ field: '(body)', message: err.message }],
      };
    }
    return { kind: 'invalid', issues: [{ field: err.field, message: err.message }] };
  }
  if (err instanceof YAMLParseError) {
    const at = err.linePos?.[0];
    return {
      kind: 'malformed',
      code: 'malformed_yaml',
      message: `request body is not valid YAML${at ? ` (line ${at.line})` : ''}`,
      // The position lets an editor mark the line, as the error details of a spec's fields do.
      details: [{ field: '(body)', message: err.message, ...(at ? { line: at.line, column: at.col } : {}) }],
    };
  }
  // yaml throws plain errors too (alias limits, too deep a document for the stack): still the body's fault.
  const message = err instanceof Error ? err.message : String(err);
  const code = format === 'json' ? 'malformed_json' : 'malformed_yaml';
  return {
    kind: 'malformed',
    code,
    message: `request body is not valid ${format.toUpperCase()}`,
    details: [{ field: '(body)', message }],
  };
}
