/**
 * The one rule for text that crosses a boundary: no NUL and no lone UTF-16 surrogate, since
 * PostgreSQL cannot store either and no process can receive a NUL, and no `__proto__` key, which
 * JavaScript objects silently drop. Pure code: the API, the spec schemas and workflows may use it.
 */
import type { z } from 'zod';

/** Keys refused at any depth: `__proto__` sets an object's prototype, so a validator would silently drop it. */
export const RESERVED_KEYS: readonly string[] = ['__proto__'];

/** Most issues one input reports, so a body of a million bad strings answers with a short list. */
export const MAX_TEXT_ISSUES = 20;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** One problem with one place of an input: its path from the root and what is wrong there. */
export interface TextIssue {
  path: (string | number)[];
  message: string;
}

/** What is wrong with `text` under the rule, or undefined when nothing is. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'must not contain NUL (\\0) characters';
  if (LONE_SURROGATE.test(text)) return 'must not contain a lone UTF-16 surrogate (text that is not valid Unicode)';
  return undefined;
}

function keyProblem(key: string): string | undefined {
  if (RESERVED_KEYS.includes(key)) return `"${key}" is a reserved name; choose another key`;
  const problem = textProblem(key);
  return problem === undefined ? undefined : `key ${problem}`;
}

/** A place still to visit; its path is rebuilt from the parents only when it holds an issue. */
interface Place {
  value: unknown;
  parent: Place | undefined;
  key: string | number | undefined;
}

function pathOf(place: Place, root: (string | number)[]): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Place | undefined = place; at?.key !== undefined; at = at.parent) path.push(at.key);
  return [...root, ...path.reverse()];
}

/**
 * Every string and key of a parsed input (JSON, YAML, query string) that breaks the rule, at most
 * `MAX_TEXT_ISSUES`, in document order. Iterative, and each object is visited once, so deep or
 * self-referencing YAML (anchors) cannot overflow the stack or loop.
 */
export function textIssues(value: unknown, root: (string | number)[] = []): TextIssue[] {
  const issues: TextIssue[] = [];
  const seen = new Set<object>();
  const pending: Place[] = [{ value, parent: undefined, key: undefined }];
  while (pending.length > 0 && issues.length < MAX_TEXT_ISSUES) {
    const place = pending.pop()!;
    const current = place.value;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem !== undefined) issues.push({ path: pathOf(place, root), message: problem });
      continue;
    }
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push({ value: current[i], parent: place, key: i });
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const child: Place = { value: (current as Record<string, unknown>)[key], parent: place, key };
      const problem = keyProblem(key);
      if (problem !== undefined) issues.push({ path: pathOf(child, root), message: problem });
      else pending.push(child);
    }
  }
  return issues.slice(0, MAX_TEXT_ISSUES);
}

/**
 * The schema with the rule added over everything it is given, so a spec read from a file is held to
 * it as an API body is. zod runs an object's refinements only once its fields pass.
 */
export function withTextRule<S extends z.ZodType>(schema: S): S {
  return schema.superRefine((value, ctx) => {
    for (const issue of textIssues(value)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
}
