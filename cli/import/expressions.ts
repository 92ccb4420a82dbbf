/**
 * GitHub Actions expressions rewritten into Capstan's: `github.ref_name` → `branch`, `github.event_name`
 * → `event` (with `'workflow_dispatch'` → `'manual'`), `github.sha` → `sha`, `github.ref ==
 * 'refs/heads/x'` → `branch == 'x'`; matrix, needs, steps and inputs pass as they are. Whatever has no
 * Capstan equivalent is returned as a problem, for the caller to drop or replace and report.
 */
import { findTemplates, tokenize, topLevelConjuncts, type Token } from './expression-tokens';

/** An expression after conversion: its text, or why it could not be converted. */
export type ConvertedExpression = { ok: true; text: string } | { ok: false; problem: string };

/** The status and string functions Capstan's expressions have, by GitHub's case-insensitive name. */
const FUNCTIONS: Record<string, string> = {
  success: 'success',
  failure: 'failure',
  always: 'always',
  cancelled: 'cancelled',
  contains: 'contains',
  startswith: 'startsWith',
  endswith: 'endsWith',
};

/** What a converted expression may use beyond the common functions. */
export interface ExpressionOptions {
  /** hashFiles(): in a cache step's key, restore-keys and path. */
  hashFiles?: boolean;
}

/** Contexts Capstan reads as GitHub does. */
const KEPT_CONTEXTS = new Set(['matrix', 'needs', 'steps', 'inputs']);

/** GitHub's event names where Capstan's differ. */
const EVENT_NAMES: Record<string, string> = { workflow_dispatch: 'manual' };

/** References whose source was not converted: step ids of the current job, and `<job>.<output>` names. */
export interface DroppedReferences {
  steps: ReadonlySet<string>;
  outputs: ReadonlySet<string>;
}

/** Converts one expression (the text inside `${{ }}`, or an `if:`); a reference to something dropped is a problem. */
export function convertExpression(
  src: string,
  dropped?: DroppedReferences,
  options: ExpressionOptions = {},
): ConvertedExpression {
  const tokens = tokenize(src);
  if (!Array.isArray(tokens))
    return { ok: false, problem: `cannot read the expression at "${src.slice(tokens.error)}"` };
  const out = tokens.map((t) => t.text);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'function') {
      const lower = t.text.toLowerCase();
      // Capstan computes hashFiles() only in a cache step's fields, on the worker that holds the files.
      const name = lower === 'hashfiles' && options.hashFiles ? 'hashFiles' : FUNCTIONS[lower];
      if (!name) return { ok: false, problem: `${t.text}() has no Capstan equivalent` };
      out[i] = name;
    } else if (t.kind === 'path') {
      const mapped = mapPath(t.text, tokens, i, out, dropped);
      if (!mapped.ok) return mapped;
      out[i] = mapped.text;
    }
  }
  let text = '';
  tokens.forEach((t, i) => {
    text += src.slice(i === 0 ? 0 : tokens[i - 1]!.end, t.start) + out[i];
  });
  return { ok: true, text: (text + src.slice(tokens.at(-1)?.end ?? 0)).trim() };
}

/**
 * A context reference renamed; `out` is updated in place where a neighbouring string literal must
 * change with it (`github.ref == 'refs/heads/main'`, `github.event_name == 'workflow_dispatch'`).
 */
function mapPath(
  path: string,
  tokens: Token[],
  i: number,
  out: string[],
  dropped?: DroppedReferences,
): ConvertedExpression {
  const [head = '', ...rest] = path.split('.');
  const context = head.toLowerCase();
  const field = rest.join('.');
  if (context === 'steps' && dropped?.steps.has(rest[0] ?? ''))
    return { ok: false, problem: `${path}: step ${rest[0]} was not converted` };
  if (context === 'needs' && rest[1] === 'outputs' && dropped?.outputs.has(`${rest[0]}.${rest[2]}`))
    return { ok: false, problem: `${path}: output ${rest[2]} of job ${rest[0]} was not converted` };
  if (rest.includes('*')) return { ok: false, problem: `${path}: object filters (.*) have no Capstan equivalent` };
  if (KEPT_CONTEXTS.has(context)) {
    return { ok: true, text: `${context}${path.slice(head.length)}` };
  }
  if (context !== 'github') return { ok: false, problem: `${path} is not available in Capstan expressions` };
  const name = field.toLowerCase();
  if (name === 'ref_name' || name === 'head_ref') return { ok: true, text: 'branch' };
  if (name === 'sha') return { ok: true, text: 'sha' };
  if (name.startsWith('event.inputs.')) return { ok: true, text: `inputs.${field.slice('event.inputs.'.length)}` };
  if (name === 'event_name') {
    for (const j of comparedLiterals(tokens, i)) {
      const value = tokens[j]!.value!;
      if (EVENT_NAMES[value]) out[j] = `'${EVENT_NAMES[value]}'`;
    }
    return { ok: true, text: 'event' };
  }
  if (name === 'ref') {
    // Only a branch ref has a Capstan equivalent: the run's branch without its `refs/heads/`.
    const literals = comparedLiterals(tokens, i);
    if (literals.length > 0 && literals.every((j) => tokens[j]!.value!.startsWith('refs/heads/'))) {
      for (const j of literals) out[j] = quote(tokens[j]!.value!.slice('refs/heads/'.length));
      return { ok: true, text: 'branch' };
    }
    return { ok: false, problem: `${path} has no Capstan equivalent unless compared with 'refs/heads/<branch>'` };
  }
  return { ok: false, problem: `${path} is not available in Capstan expressions` };
}

/** Indexes of the string literals compared with token `i`: `x == 'a'`, `'a' != x`, `startsWith(x, 'a')`. */
function comparedLiterals(tokens: Token[], i: number): number[] {
  const isString = (j: number) => tokens[j]?.kind === 'string';
  const isComparison = (j: number) => tokens[j]?.text === '==' || tokens[j]?.text === '!=';
  const found: number[] = [];
  if (isComparison(i + 1) && isString(i + 2)) found.push(i + 2);
  if (isComparison(i - 1) && isString(i - 2)) found.push(i - 2);
  const call = tokens[i - 2];
  if (call?.kind === 'function' && tokens[i - 1]?.kind === '(' && tokens[i + 1]?.kind === ',' && isString(i + 2)) {
    if (/^(?:startswith|endswith|contains)$/i.test(call.text)) found.push(i + 2);
  }
  return found;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** An `if:` converted: the condition kept (if any) and each part dropped with its reason. */
export interface ConvertedCondition {
  text?: string;
  dropped: string[];
}

/**
 * Converts an `if:`. Of a chain of `&&`, only the parts that cannot be converted are dropped (so the
 * condition holds at least as often as before); any other condition is kept whole or dropped whole.
 */
export function convertCondition(raw: string, gone?: DroppedReferences): ConvertedCondition {
  const templates = findTemplates(raw);
  const whole = templates.length === 1 && raw.trim().startsWith('${{') && raw.trim().endsWith('}}');
  const src = whole ? templates[0]!.inner : raw;
  const tokens = tokenize(src);
  if (!Array.isArray(tokens)) return { dropped: [`cannot read the condition "${raw}"`] };
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const part of topLevelConjuncts(src, tokens)) {
    const converted = convertExpression(part, gone);
    if (converted.ok) kept.push(converted.text);
    else dropped.push(`${part}: ${converted.problem}`);
  }
  return { ...(kept.length > 0 ? { text: kept.join(' && ') } : {}), dropped };
}
