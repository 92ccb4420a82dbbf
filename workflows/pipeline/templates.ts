/**
 * `${{ }}` templates of pipelines, in the DAG expression language (workflows/dag/expression.ts):
 * `steps.<id>.outputs.<name>` reads an earlier step of the same job, `needs.<job>.outputs.<name>`
 * an output of a job in `needs`. The DAG parser knows only `tasks.<id>` references, so each
 * pipeline reference is first spelt as a task reference whose id carries its context
 * (`steps.build` becomes `tasks.s-build`, `needs.build` becomes `tasks.n-build`); parsing,
 * evaluation and rendering are then the DAG's own. Pure and deterministic, so the workflow uses it.
 */
import {
  ExpressionError,
  hasTemplate,
  parseTemplate,
  renderTemplate,
  templateReferences,
  type EvalContext,
  type ParseOptions,
  type TemplatePart,
} from '../dag/expression';

/** A reference a pipeline template makes: to a step of the same job, or to a job in `needs`. */
export interface PipelineReference {
  context: 'steps' | 'needs';
  /** The step id or job id. */
  id: string;
  /** `outputs` (the whole map, or `name` of it); `status` is parsed only so that validation can refuse it. */
  field: 'outputs' | 'status';
  name?: string;
}

/** A parsed template: the DAG's parts, and what they refer to. */
export interface PipelineTemplate {
  parts: TemplatePart[];
  references: PipelineReference[];
}

/** Outputs a template can read: of earlier steps of the job by step id, of needed jobs by job id. */
export interface TemplateScope {
  steps: Record<string, Record<string, string>>;
  needs: Record<string, Record<string, string>>;
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

const STEP_PREFIX = 's-';
const NEEDS_PREFIX = 'n-';
const CONTEXTS: Record<string, string> = { steps: STEP_PREFIX, needs: NEEDS_PREFIX };

const isWordStart = (c: string): boolean => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
/** Characters of a reference after its context word: ids, field and output names, dots between them. */
const isReferenceChar = (c: string): boolean => isWordStart(c) || isDigit(c) || c === '-' || c === '.';

/** Parses a pipeline template; throws PipelineTemplateError with the position in `text`. */
export function parsePipelineTemplate(text: string, options: ParseOptions = {}): PipelineTemplate {
  const { dagText, insertions } = asDagText(text);
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(dagText, options);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    const reason = err.message.slice(0, err.message.lastIndexOf(' at '));
    throw new PipelineTemplateError(reason, originalOffset(err.position, insertions));
  }
  const references = templateReferences(parts).flatMap((ref): PipelineReference[] => {
    // asDagText refuses `tasks.` and `matrix.`, so every reference here is one of ours.
    if (ref.kind !== 'task-outputs' && ref.kind !== 'task-status') return [];
    const context = ref.task.startsWith(STEP_PREFIX) ? 'steps' : 'needs';
    const id = ref.task.slice(2);
    if (ref.kind === 'task-status') return [{ context, id, field: 'status' }];
    return [
      ref.output === undefined
        ? { context, id, field: 'outputs' }
        : { context, id, field: 'outputs', name: ref.output },
    ];
  });
  return { parts, references };
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
  const tasks: EvalContext['tasks'] = {};
  for (const [id, outputs] of Object.entries(scope.steps))
    tasks[`${STEP_PREFIX}${id}`] = { status: 'succeeded', outputs };
  for (const [id, outputs] of Object.entries(scope.needs))
    tasks[`${NEEDS_PREFIX}${id}`] = { status: 'succeeded', outputs };
  const parts = parsePipelineTemplate(text, { hashFiles: hashFiles !== undefined }).parts;
  return renderTemplate(parts, { tasks, dependencyStatuses: [], ...(hashFiles ? { hashFiles } : {}) });
}

/** True when `text` holds a `${{`; a cheap check before parsing. */
export function isTemplate(text: string): boolean {
  return hasTemplate(text);
}

/**
 * `text` with each `steps.`/`needs.` reference inside `${{ }}` spelt as a DAG task reference, and
 * where characters were inserted (offsets in the result, with the count), to map error positions
 * back. Text outside `${{ }}` and quoted strings inside it are copied unchanged. A name that the
 * DAG language would read as another context (`tasks.`, `matrix.`, `github.`) is refused here,
 * with a message in a pipeline author's terms.
 */
function asDagText(text: string): { dagText: string; insertions: Array<[number, number]> } {
  let out = '';
  const insertions: Array<[number, number]> = [];
  let pos = 0;
  for (;;) {
    const open = text.indexOf('${{', pos);
    if (open < 0) return { dagText: out + text.slice(pos), insertions };
    out += text.slice(pos, open + 3);
    pos = open + 3;
    while (pos < text.length && !text.startsWith('}}', pos)) {
      const c = text[pos]!;
      if (c === "'") {
        // A string runs to the next quote; `''` inside it is two strings back to back, which this handles too.
        const close = text.indexOf("'", pos + 1);
        const end = close < 0 ? text.length : close + 1;
        out += text.slice(pos, end);
        pos = end;
      } else if (isDigit(c)) {
        // A number, or a malformed one such as `1abc` that the parser reports; either way, not a name.
        let end = pos;
        while (end < text.length && (isWordStart(text[end]!) || isDigit(text[end]!) || text[end] === '.')) end++;
        out += text.slice(pos, end);
        pos = end;
      } else if (isWordStart(c)) {
        let end = pos;
        while (end < text.length && (isWordStart(text[end]!) || isDigit(text[end]!))) end++;
        const word = text.slice(pos, end);
        if (text[end] === '.') {
          const prefix = CONTEXTS[word];
          if (prefix === undefined) {
            throw new PipelineTemplateError(
              `unknown context '${word}'; a pipeline template may read steps.<id>.outputs.<name> and needs.<job>.outputs.<name>`,
              pos,
            );
          }
          let refEnd = end + 1;
          while (refEnd < text.length && isReferenceChar(text[refEnd]!)) refEnd++;
          out += `tasks.${prefix}`;
          insertions.push([out.length, prefix.length]);
          out += text.slice(end + 1, refEnd);
          pos = refEnd;
        } else {
          if (word !== 'true' && word !== 'false' && word !== 'null' && !/^\s*\(/.test(text.slice(end))) {
            throw new PipelineTemplateError(
              `unknown name '${word}'; a pipeline template may read steps.<id>.outputs.<name> and needs.<job>.outputs.<name>`,
              pos,
            );
          }
          out += word;
          pos = end;
        }
      } else {
        out += c;
        pos++;
      }
    }
  }
}

/** The offset in the original text of `offset` in the DAG spelling. */
function originalOffset(offset: number, insertions: Array<[number, number]>): number {
  let shift = 0;
  for (const [at, count] of insertions) {
    if (at > offset) break;
    shift += count;
  }
  return Math.max(0, offset - shift);
}
