/**
 * DAG expressions: `when` conditions and `${{ … }}` templates in task fields, in a small subset of
 * GitHub Actions' expression syntax. Pure and deterministic (workflow code runs it in Temporal's
 * sandbox): no imports but the sibling parser.
 *
 * Language:
 * - Literals: `'text'` (`''` inside stands for one quote: `'it''s'`), numbers `42`, `-1.5` (no
 *   exponents), `true`, `false`, `null`.
 * - References: `tasks.<id>.status`, `tasks.<id>.outputs` (the whole map), `tasks.<id>.outputs.<name>`,
 *   `tasks.<id>.outputs['any name']`, `matrix.<key>`. `<id>` is `[A-Za-z_][A-Za-z0-9_-]*`; `<name>` is
 *   `[A-Za-z_][A-Za-z0-9_.-]*` (the whole run, dots and dashes included); `<key>` is `[A-Za-z_][A-Za-z0-9_]*`.
 *   No spaces inside a reference. An unknown task, output or matrix key evaluates to null. When the
 *   task is a matrix, `outputs` is a list with one map per branch, and `outputs.<name>` the list of
 *   that output per branch (null where a branch lacks it).
 * - Operators, tightest first: `!`; `<` `<=` `>` `>=`; `==` `!=`; `&&`; `||`; parentheses group.
 *   `&&` and `||` short-circuit and yield an operand, like JS: `tasks.a.outputs.v || 'none'`.
 * - Equality (`==`, `!=`): two numbers, or two booleans, compare by value; anything else compares
 *   as text (see below), so `null == ''`, `1 == '1'`, `true == 'true'`; case-sensitive.
 * - Ordering (`<` …): numbers, and strings that are decimal numbers (`' 2.5 '`, `'-3'`), compare
 *   numerically; if either side is anything else, the comparison is false.
 * - Text of a value: strings as-is, null as `''`, numbers and booleans via String(), lists and maps
 *   as JSON. Used by equality, `contains`/`startsWith`/`endsWith` and template rendering.
 * - Truthiness: false, null, 0 and `''` are false; everything else (also `'false'`, `'0'`, `[]`) true.
 * - Functions (case-sensitive names): `contains(haystack, needle)` (a list: some element equals the
 *   needle by `==`; otherwise text contains text), `startsWith(a, b)`, `endsWith(a, b)` (on text),
 *   `success()` (every direct dependency succeeded), `failure()` (some direct dependency failed),
 *   `always()` (true), `hashFiles(pattern, ...)` (the SHA-256 of the files matching the workspace globs,
 *   '' when none match; a pipeline dialect's, parsed only with `ParseDialect.hashFiles` and computed by
 *   `EvalContext.hashFiles`, since the files are on a worker, not in the workflow).
 * - Dialects (ParseDialect, for pipelines): context words read as paths into `EvalContext.contexts`
 *   (`branch`, `needs.build.result`, `steps.tag.outputs['x']`) instead of `tasks.` and `matrix.`, and
 *   `cancelled()` (true when EvalContext.cancelled). A DAG expression parses without one, so it can name neither.
 * - Templates: text with `${{ expr }}` parts; there is no escape for a literal `${{`.
 * Errors are ExpressionError with a 0-based `position` and a message ending in ` at <position>`.
 */
import { ExpressionError, parseExpressionAt, describeAt, type Expr, type ParseDialect } from './expression-parse';

export { ExpressionError, parseExpression, type Expr, type ParseDialect } from './expression-parse';

/** A reference found in an expression or template. */
export type Reference =
  | { kind: 'task-status'; task: string }
  | { kind: 'task-outputs'; task: string; output?: string }
  | { kind: 'matrix'; key: string };

/** Every reference an expression makes, each once, in order of appearance. */
export function expressionReferences(expr: Expr): Reference[] {
  const found = new Map<string, Reference>();
  collectReferences(expr, found);
  return [...found.values()];
}

function collectReferences(e: Expr, found: Map<string, Reference>): void {
  let ref: Reference | undefined;
  switch (e.type) {
    case 'status':
      ref = { kind: 'task-status', task: e.task };
      break;
    case 'outputs':
      ref =
        e.output === undefined
          ? { kind: 'task-outputs', task: e.task }
          : { kind: 'task-outputs', task: e.task, output: e.output };
      break;
    case 'matrix':
      ref = { kind: 'matrix', key: e.key };
      break;
    case 'context':
      // Only a dialect parses these, and it reads them with contextPaths.
      break;
    case 'not':
      collectReferences(e.operand, found);
      break;
    case 'binary':
      collectReferences(e.left, found);
      collectReferences(e.right, found);
      break;
    case 'call':
      for (const arg of e.args) collectReferences(arg, found);
      break;
    case 'literal':
      break;
  }
  if (ref !== undefined) found.set(JSON.stringify(ref), ref);
}

/** What expressions are evaluated against. For a matrix task upstream, `outputs` is a list with one map per branch (in matrix order) and `status` is the combined status. */
export interface EvalContext {
  tasks: Record<string, { status: string; outputs: Record<string, string> | Array<Record<string, string>> }>;
  matrix?: Record<string, string | number | boolean>;
  /** Statuses of the task's direct dependencies, for success()/failure(). */
  dependencyStatuses: string[];
  /** What a dialect's context paths read (`{ branch: 'main', needs: { build: { result: 'success' } } }`). */
  contexts?: Record<string, unknown>;
  /** What cancelled() answers. */
  cancelled?: boolean;
  /** Computes `hashFiles(...)` from its patterns; given only where the files are (a worker rendering a cache key). */
  hashFiles?: (patterns: string[]) => string;
}

/** Every context path an expression reads (dialects only), each once, in order of appearance. */
export function contextPaths(expr: Expr): string[][] {
  const found = new Map<string, string[]>();
  const visit = (e: Expr): void => {
    if (e.type === 'context') found.set(JSON.stringify(e.path), e.path);
    else if (e.type === 'not') visit(e.operand);
    else if (e.type === 'binary') {
      visit(e.left);
      visit(e.right);
    } else if (e.type === 'call') e.args.forEach(visit);
  };
  visit(expr);
  return [...found.values()];
}

/** The names of the functions an expression calls, each once. */
export function calledFunctions(expr: Expr): Set<string> {
  const found = new Set<string>();
  const visit = (e: Expr): void => {
    if (e.type === 'not') visit(e.operand);
    else if (e.type === 'binary') {
      visit(e.left);
      visit(e.right);
    } else if (e.type === 'call') {
      found.add(e.fn);
      e.args.forEach(visit);
    }
  };
  visit(expr);
  return found;
}

/** The value at `path` in `contexts`, or null where the path leaves it. */
export function contextValue(contexts: Record<string, unknown> | undefined, path: readonly string[]): unknown {
  let value: unknown = contexts;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    value = own(value as Record<string, unknown>, key);
    if (value === undefined) return null;
  }
  return value ?? null;
}

/** Evaluates a parsed expression; unknown references evaluate to null (validation catches them earlier). */
export function evaluate(expr: Expr, ctx: EvalContext): unknown {
  switch (expr.type) {
    case 'literal':
      return expr.value;
    case 'status':
      return own(ctx.tasks, expr.task)?.status ?? null;
    case 'matrix':
      return own(ctx.matrix, expr.key) ?? null;
    case 'context':
      return contextValue(ctx.contexts, expr.path);
    case 'outputs': {
      const outputs = own(ctx.tasks, expr.task)?.outputs;
      if (outputs === undefined) return null;
      const name = expr.output;
      if (name === undefined) return outputs;
      return Array.isArray(outputs) ? outputs.map((branch) => own(branch, name) ?? null) : (own(outputs, name) ?? null);
    }
    case 'not':
      return !truthy(evaluate(expr.operand, ctx));
    case 'binary': {
      const left = evaluate(expr.left, ctx);
      if (expr.op === '&&') return truthy(left) ? evaluate(expr.right, ctx) : left;
      if (expr.op === '||') return truthy(left) ? left : evaluate(expr.right, ctx);
      const right = evaluate(expr.right, ctx);
      if (expr.op === '==') return looseEquals(left, right);
      if (expr.op === '!=') return !looseEquals(left, right);
      const a = toNumber(left);
      const b = toNumber(right);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return expr.op === '<' ? a < b : expr.op === '<=' ? a <= b : expr.op === '>' ? a > b : a >= b;
    }
    case 'call': {
      const args = expr.args.map((arg) => evaluate(arg, ctx));
      switch (expr.fn) {
        case 'contains':
          return Array.isArray(args[0])
            ? args[0].some((item) => looseEquals(item, args[1]))
            : toText(args[0]).includes(toText(args[1]));
        case 'startsWith':
          return toText(args[0]).startsWith(toText(args[1]));
        case 'endsWith':
          return toText(args[0]).endsWith(toText(args[1]));
        case 'success':
          return ctx.dependencyStatuses.every((s) => s === 'succeeded');
        case 'failure':
          return ctx.dependencyStatuses.some((s) => s === 'failed');
        case 'always':
          return true;
        case 'cancelled':
          return ctx.cancelled === true;
        case 'hashFiles':
          // The parser admits hashFiles() only in fields the worker renders; a context without it is a wiring bug.
          if (!ctx.hashFiles) throw new Error('hashFiles() can only be computed on the worker that holds the files');
          return ctx.hashFiles(args.map(toText));
      }
    }
  }
  throw new Error(`not an expression: ${JSON.stringify(expr)}`);
}

/** Evaluates a condition to a boolean (truthiness). */
export function evaluateCondition(expr: Expr, ctx: EvalContext): boolean {
  return truthy(evaluate(expr, ctx));
}

/** A template string split into literal text and `${{ expr }}` parts (parsed). */
export type TemplatePart = { text: string } | { expr: Expr };

/** Parses a template (in `dialect`, if given); throws ExpressionError with the position inside the whole string. */
export function parseTemplate(source: string, dialect?: ParseDialect): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let pos = 0;
  for (;;) {
    const open = source.indexOf('${{', pos);
    const text = source.slice(pos, open < 0 ? source.length : open);
    if (text !== '') parts.push({ text });
    if (open < 0) return parts;
    if (source.indexOf('}}', open + 3) < 0) throw new ExpressionError("unclosed '${{'", open);
    const { expr, end } = parseExpressionAt(source, open + 3, dialect);
    if (!source.startsWith('}}', end))
      throw new ExpressionError(`expected '}}', found ${describeAt(source, end)}`, end);
    parts.push({ expr });
    pos = end + 2;
  }
}

/** Every reference a template's expressions make, each once. */
export function templateReferences(parts: TemplatePart[]): Reference[] {
  const found = new Map<string, Reference>();
  for (const part of parts) if ('expr' in part) collectReferences(part.expr, found);
  return [...found.values()];
}

/** The text of a value, as templates render it: strings as-is, null as '', lists and maps as JSON. */
export function textOf(value: unknown): string {
  return toText(value);
}

/** Renders a template: each expression's value becomes its text (strings as-is, null as '', lists and maps as JSON). */
export function renderTemplate(parts: TemplatePart[], ctx: EvalContext): string {
  return parts.map((part) => ('expr' in part ? toText(evaluate(part.expr, ctx)) : part.text)).join('');
}

/** True when the string contains a `${{`; a cheap check before parsing. */
export function hasTemplate(source: string): boolean {
  return source.includes('${{');
}

function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function truthy(value: unknown): boolean {
  return !(
    value === false ||
    value === null ||
    value === undefined ||
    value === 0 ||
    value === '' ||
    Number.isNaN(value)
  );
}

function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function looseEquals(a: unknown, b: unknown): boolean {
  if ((typeof a === 'number' && typeof b === 'number') || (typeof a === 'boolean' && typeof b === 'boolean'))
    return a === b;
  return toText(a) === toText(b);
}

const DECIMAL = /^\s*-?(\d+\.?\d*|\.\d+)\s*$/;

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && DECIMAL.test(value) ? Number(value) : NaN;
}
