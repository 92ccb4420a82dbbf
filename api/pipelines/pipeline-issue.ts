/** The shape of a problem in a pipeline spec, and the one error that carries all of a spec's problems. */
import { fieldPath } from '../../config/zod-issues';
import { ApiError } from '../errors';

/** A place in the spec, as keys and indexes from its root (`['jobs', 'deploy', 'steps', 2]`). */
export type SpecPath = Array<string | number>;

/** A problem found before the spec has positions: its place and what is wrong. */
export interface PathIssue {
  path: SpecPath;
  message: string;
}

/** One problem of a pipeline spec, with its 1-based position in the file when it came from one. */
export interface PipelineIssue {
  /** Dotted path of the field, e.g. `jobs.deploy.steps[2].run`; `(root)` for the whole spec. */
  field: string;
  message: string;
  line?: number;
  column?: number;
}

/** Formats a path as a field name, naming the root so that a message never starts with an empty field. */
export function fieldOf(path: SpecPath): string {
  return path.length === 0 ? '(root)' : fieldPath(path);
}

/** `<source>:<line>:<column>: <field>: <message>`, or without the position when there is none. */
export function formatIssue(source: string, issue: PipelineIssue): string {
  const at = issue.line === undefined ? source : `${source}:${issue.line}:${issue.column ?? 1}`;
  return `${at}: ${issue.field}: ${issue.message}`;
}

/**
 * A pipeline spec that cannot run: every problem at once, one per line of the message. It is an
 * ApiError so that the API's one error mapping answers it (400 with the issues as details) unchanged.
 */
export class PipelineSpecError extends ApiError {
  constructor(
    readonly source: string,
    readonly issues: PipelineIssue[],
    status = 400,
    code = 'invalid_request',
  ) {
    super(status, code, issues.map((issue) => formatIssue(source, issue)).join('\n'), issues);
    this.name = 'PipelineSpecError';
  }
}
