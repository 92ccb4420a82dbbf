/**
 * `if:` conditions of pipeline jobs and steps, with GitHub Actions' semantics: a condition that calls
 * none of success(), failure(), always(), cancelled() is read as `success() && (condition)`, and no
 * condition at all as `success()`. success() means every job or step before succeeded, failure() that
 * one failed. Pure and deterministic: the workflow evaluates conditions from the run's records.
 */
import {
  calledFunctions,
  contextValue,
  evaluateCondition,
  parseExpression,
  textOf,
  type Expr,
} from '../dag/expression';
import { asTemplateError, PIPELINE_DIALECT, PipelineTemplateError, pipelineReferences } from './templates';

/** GitHub's words for how a job or step ended, as `needs.<job>.result` and `steps.<id>.outcome` read them. */
export type Result = 'success' | 'failure' | 'cancelled' | 'skipped';

/** The functions that make a condition say itself when it applies (no implicit success()). */
const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'];

/** What a condition is evaluated against. */
export interface ConditionFacts {
  /** What its context paths read: branch, event, sha, repository, inputs, needs, steps. */
  contexts: Record<string, unknown>;
  /** How what came before ended (a job's needed jobs and theirs; a step's earlier steps that ran), for success()/failure(). */
  before: Array<{ name: string; result: Result }>;
  /** Whether the run, or something before, was cancelled. */
  cancelled: boolean;
}

/** Whether a job or step runs, and why not when it does not. */
export type Gate = { run: true } | { run: false; reason: string };

/** `status` of a job or step record as GitHub's result; a failure let through by continue-on-error is a success. */
export function resultOf(status: string, continuedOnError?: boolean): Result {
  if (status === 'succeeded' || continuedOnError) return 'success';
  if (status === 'failed') return 'failure';
  if (status === 'cancelled') return 'cancelled';
  return 'skipped';
}

/**
 * Parses an `if:` value: an expression written bare or wrapped whole in one `${{ }}`, as GitHub
 * accepts both. Throws PipelineTemplateError with the position in `source`.
 */
export function parseCondition(source: string): Expr {
  let text = source;
  let offset = 0;
  const open = source.indexOf('${{');
  if (open >= 0) {
    const wrapped = /^(\s*)\$\{\{([\s\S]*)\}\}\s*$/.exec(source);
    if (!wrapped || wrapped[2]!.includes('${{'))
      throw new PipelineTemplateError(
        'a condition is one expression: write it bare, or wrap all of it in one ${{ }}',
        open,
      );
    text = wrapped[2]!;
    offset = wrapped[1]!.length + 3;
  }
  try {
    return parseExpression(text, PIPELINE_DIALECT);
  } catch (err) {
    const mapped = asTemplateError(err);
    if (mapped instanceof PipelineTemplateError)
      throw new PipelineTemplateError(mapped.reason, mapped.position + offset);
    throw mapped;
  }
}

/**
 * Decides whether a job or step runs. `source` is its `if:` (undefined when it has none);
 * `notSucceeded` is the reason when the implicit success() is what fails.
 */
export function evaluateGate(source: string | undefined, facts: ConditionFacts, notSucceeded: string): Gate {
  const statuses = facts.before.map((b) =>
    b.result === 'success' ? 'succeeded' : b.result === 'failure' ? 'failed' : b.result,
  );
  const ctx = { tasks: {}, dependencyStatuses: statuses, contexts: facts.contexts, cancelled: facts.cancelled };
  const succeeded = statuses.every((s) => s === 'succeeded');
  if (source === undefined) return succeeded ? { run: true } : { run: false, reason: notSucceeded };
  const expr = parseCondition(source);
  const explicit = [...calledFunctions(expr)].some((fn) => STATUS_FUNCTIONS.includes(fn));
  if (!explicit && !succeeded) return { run: false, reason: notSucceeded };
  if (evaluateCondition(expr, ctx)) return { run: true };
  return { run: false, reason: `if: ${source.trim()} was false (${explain(expr, facts, explicit)})` };
}

/** The values the condition read, so that a skipped job says why: `branch is feature/x`. */
function explain(expr: Expr, facts: ConditionFacts, statusFunctions: boolean): string {
  const parts = pipelineReferences(expr).map((ref) => {
    const text = textOf(contextValue(facts.contexts, ref.path));
    return `${ref.path.join('.')} is ${text === '' ? "''" : text}`;
  });
  if (statusFunctions) {
    parts.push(
      facts.before.length === 0
        ? 'nothing ran before it'
        : `before it: ${facts.before.map((b) => `${b.name} ${b.result}`).join(', ')}`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : 'it reads no context';
}
