/**
 * `${{ }}` templates of pipelines, in the pipeline dialect of the DAG expression language
 * (workflows/dag/expression.ts): `steps.<id>.outputs.<name>` reads an earlier step of the same job,
 * `needs.<job>.outputs.<name>` an output of a job in `needs`, and `branch`, `event`, `sha`,
 * `repository` and `inputs.<name>` the run's trigger, `matrix.<key>` the job's matrix combination. Parsing, evaluation and rendering are the
 * DAG's own. Pure and deterministic, so the workflow uses it.
 */
import {
  contextPaths,
  ExpressionError,
  hasTemplate,
  parseTemplate,
  renderTemplate,
  type Expr,
  type ParseDialect,
  type TemplatePart,
} from '../dag/expression';
import type { MatrixValue } from '../contracts/dag-spec';

/** The contexts a pipeline expression reads: two of outputs, the run's trigger, and the job's matrix combination. */
export const PIPELINE_CONTEXTS = [
  'steps',
  'needs',
  'inputs',
  'branch',
  'event',
  'sha',
  'repository',
  'matrix',
] as const;
/** A context of the run itself, the same for every job and step. */
export type RunContext = 'branch' | 'event' | 'sha' | 'repository';

/** The pipeline dialect of the expression language. */
export const PIPELINE_DIALECT: ParseDialect = {
  contexts: PIPELINE_CONTEXTS,
  functions: ['cancelled'],
  hint: 'a pipeline template may read steps.<id>.outputs.<name>, needs.<job>.outputs.<name>, inputs.<name>, branch, event, sha, repository and matrix.<key>',
};

/** A reference a pipeline expression makes: a path into one of PIPELINE_CONTEXTS, read apart. */
export interface PipelineReference {
  context: string;
  /** The step id or job id (steps, needs). */
  id?: string;
  /** What of the step or job: `outputs`, `outcome`, `result` …; validation decides which are allowed where. */
  field?: string;
  /** The output name (`outputs.<name>`), input name (`inputs.<name>`) or matrix key (`matrix.<key>`). */
  name?: string;
  /** The path as written, e.g. `['needs', 'build', 'outputs', 'version']`. */
  path: string[];
}

/** A parsed template: the DAG's parts, and what they refer to. */
export interface PipelineTemplate {
  parts: TemplatePart[];
  references: PipelineReference[];
}

/** What a run's trigger tells expressions: `branch`, `event`, `sha`, `repository`, `inputs`. */
export interface RunFacts {
  branch: string;
  event: string;
  sha: string;
  repository: string;
  inputs: Record<string, string | number | boolean>;
}

/** Outputs a template can read: of earlier steps of the job by step id, of needed jobs by job id, and the run's facts. */
export interface TemplateScope {
  steps: Record<string, Record<string, string>>;
  needs: Record<string, Record<string, string>>;
  /** Absent for runs started before these contexts existed; they read as ''. */
  run?: RunFacts;
  /** `needs.<job>.result` of each needed job (success, failure, cancelled, skipped), where known. */
  needResults?: Record<string, string>;
  /** The values of the job's matrix combination, for a job of a matrix. */
  matrix?: Record<string, MatrixValue>;
}

/** A malformed pipeline template; `position` is the 0-based offset in the text as written. */
export class PipelineTemplateError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`${reason} at ${position}`);
    this.name = 'PipelineTemplateError';
  }
}

/** Parses a pipeline template (with `hashFiles`, a cache step's field, which may call hashFiles()); throws PipelineTemplateError with the position in `text`. */
export function parsePipelineTemplate(text: string, options: { hashFiles?: boolean } = {}): PipelineTemplate {
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(text, options.hashFiles ? { ...PIPELINE_DIALECT, hashFiles: true } : PIPELINE_DIALECT);
  } catch (err) {
    throw asTemplateError(err);
  }
  const paths = parts.flatMap((part) => ('expr' in part ? contextPaths(part.expr) : []));
  return { parts, references: uniqueReferences(paths) };
}

/** The references of a parsed pipeline expression, each once. */
export function pipelineReferences(expr: Expr): PipelineReference[] {
  return uniqueReferences(contextPaths(expr));
}

/** An ExpressionError as a PipelineTemplateError (its reason without the DAG's ` at <n>`); anything else as it is. */
export function asTemplateError(err: unknown): unknown {
  if (!(err instanceof ExpressionError)) return err;
  return new PipelineTemplateError(err.message.slice(0, err.message.lastIndexOf(' at ')), err.position);
}

function uniqueReferences(paths: string[][]): PipelineReference[] {
  const seen = new Set<string>();
  return paths.flatMap((path): PipelineReference[] => {
    const key = JSON.stringify(path);
    if (seen.has(key)) return [];
    seen.add(key);
    const [context, ...rest] = path as [string, ...string[]];
    if (context === 'steps' || context === 'needs') {
      const [id, field, name] = rest;
      return [
        {
          context,
          path,
          ...(id !== undefined ? { id } : {}),
          ...(field !== undefined ? { field } : {}),
          ...(name !== undefined ? { name } : {}),
        },
      ];
    }
    return [{ context, path, ...(rest[0] !== undefined ? { name: rest[0] } : {}) }];
  });
}

/** What expressions of a step or job read, as the evaluator's `contexts`. */
export function scopeContexts(scope: TemplateScope): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const [id, outputs] of Object.entries(scope.steps)) steps[id] = { outputs };
  const needs: Record<string, unknown> = {};
  for (const [id, outputs] of Object.entries(scope.needs)) {
    const result = scope.needResults?.[id];
    needs[id] = result === undefined ? { outputs } : { outputs, result };
  }
  return { ...(scope.run ?? {}), steps, needs, ...(scope.matrix ? { matrix: scope.matrix } : {}) };
}

/**
 * Renders `text` against `scope`; text without `${{` is returned as it is. Unknown steps and outputs render as ''.
 * With `hashFiles`, the text may call hashFiles() (a cache step's fields, rendered on the worker).
 */
export function renderPipelineTemplate(
  text: string,
  scope: TemplateScope,
  hashFiles?: (patterns: string[]) => string,
): string {
  if (!hasTemplate(text)) return text;
  return renderTemplate(parsePipelineTemplate(text, { hashFiles: hashFiles !== undefined }).parts, {
    tasks: {},
    dependencyStatuses: [],
    contexts: scopeContexts(scope),
    ...(hashFiles ? { hashFiles } : {}),
  });
}

/** True when `text` holds a `${{`; a cheap check before parsing. */
export function isTemplate(text: string): boolean {
  return hasTemplate(text);
}
