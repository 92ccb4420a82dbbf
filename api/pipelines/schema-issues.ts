/**
 * Turns the zod issues of PipelineSpecSchema into issues a pipeline author can act on: a missing
 * field says it is required, and a bad step reports the problems of the kind of step it is meant
 * to be rather than zod's "Invalid input" for the union of all kinds.
 */
import type { z } from 'zod';
import { PipelineStepSchema } from '../../workflows/contracts/pipeline-spec';
import type { PathIssue, SpecPath } from './pipeline-issue';

/** Keys every kind of step may have, so none of them says what a step does. */
const COMMON_STEP_KEYS = ['name', 'id', 'if', 'continue-on-error'];
/** The key that says what a step does, in the order the step union lists them. */
const STEP_KINDS = PipelineStepSchema.options.map((option) =>
  Object.keys(option.shape).find((key) => !COMMON_STEP_KEYS.includes(key))!,
);

/** Field issues for the zod issues of `input`, each with its path from the spec's root. */
export function schemaIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix: SpecPath = []): PathIssue[] {
  return issues.flatMap((issue) => {
    const path: SpecPath = [...prefix, ...issue.path.filter((k): k is string | number => typeof k !== 'symbol')];
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => ({ path: [...path, key], message: 'is not a known field' }));
      case 'invalid_key':
        return [{ path, message: `key ${issue.issues[0]?.message ?? issue.message}` }];
      case 'invalid_union':
        return unionIssues(issue, path, input);
      case 'invalid_type':
        return [{ path, message: typeMessage(issue, path, input) }];
      default:
        return [{ path, message: issue.message }];
    }
  });
}

function unionIssues(issue: z.core.$ZodIssueInvalidUnion, path: SpecPath, input: unknown): PathIssue[] {
  const value = valueAt(input, path);
  if (path.at(-1) === 'checkout') return [{ path, message: 'must be true, or a mapping with an optional path' }];
  if (path.at(-2) !== 'steps') {
    // A value of the right type for one option (a mapping for `manual: true | { inputs }`) is meant as that option.
    const fitting = issue.errors.filter(
      (branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0),
    );
    if (fitting.length === 1) return schemaIssues(fitting[0]!, input, path);
    return [{ path, message: issue.message }];
  }
  const kindList = STEP_KINDS.join(', ');
  if (!isRecord(value)) return [{ path, message: `must be a mapping with one of ${kindList}` }];
  const kinds = STEP_KINDS.filter((kind) => Object.hasOwn(value, kind));
  if (kinds.length === 0) return [{ path, message: `must have one of ${kindList}` }];
  if (kinds.length > 1)
    return [{ path, message: `has ${kinds.join(' and ')}; a step does exactly one of ${kindList}` }];
  // The step says what it is, so only the issues of that kind's schema concern the author.
  const branch = issue.errors[STEP_KINDS.indexOf(kinds[0]!)] ?? [];
  return branch.length > 0 ? schemaIssues(branch, input, path) : [{ path, message: issue.message }];
}

function typeMessage(issue: z.core.$ZodIssueInvalidType, path: SpecPath, input: unknown): string {
  const value = valueAt(input, path);
  if (value === undefined && isRecord(valueAt(input, path.slice(0, -1))))
    return `is required (${typeName(issue.expected)})`;
  const last = path.at(-1);
  if (value === null && path.length === 2 && path[0] === 'on' && (last === 'push' || last === 'pull_request')) {
    // YAML reads `push:` with nothing after it as null; say how to write "every branch".
    return `must be a mapping; write "${last}: {}" to trigger on every branch`;
  }
  return issue.message;
}

/** zod's type names in the words of a YAML author. */
const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The input's value at `path`, or undefined when the path leaves it. */
function valueAt(input: unknown, path: SpecPath): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}
