/** Turns zod issues into field-named messages, the one shape every validation error in Capstan takes. */
import type { z } from 'zod';

/** One problem with one field of an input. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `retry.maxAttempts` or `nodeClasses[1].name`. */
  field: string;
  message: string;
}

/** Formats a path like zod reports it into `a.b[2].c`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc === '' ? String(key) : `${acc}.${String(key)}`;
  }, '');
}

/** Flattens zod issues into field issues; unknown keys are reported under their own names. */
export function fieldIssues(issues: readonly z.core.$ZodIssue[], root = ''): FieldIssue[] {
  return issues.flatMap((issue) => {
    const base = fieldPath(issue.path);
    const field = root && base ? `${root}.${base}` : root || base;
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: field ? `${field}.${key}` : key, message: 'is not a known field' }));
    }
    if (issue.code === 'invalid_key' && issue.issues[0]) {
      return [{ field, message: `key ${issue.issues[0].message.replace(/^Invalid string: /, '')}` }];
    }
    return [{ field: field || '(body)', message: issue.message }];
  });
}

/** One line per issue: `field: message`. */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ');
}
