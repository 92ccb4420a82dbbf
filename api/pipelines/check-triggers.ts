/**
 * The checks of `on:` that its schema cannot express: at least one trigger, a filter and its
 * -ignore form not both, valid cron expressions, and manual inputs whose type, default and options
 * agree. Pure.
 */
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { manualEnabled, manualInputs, type ManualInput } from '../../workflows/contracts/pipeline-triggers';
import { cronProblem } from './cron';
import type { PathIssue } from './pipeline-issue';

/** Every problem of a spec's `on:`; an empty list when its triggers can run. */
export function triggerIssues(on: PipelineSpec['on']): PathIssue[] {
  const issues: PathIssue[] = [];
  if (!on.push && !on.pull_request && !on.schedule && !manualEnabled(on)) {
    issues.push({ path: ['on'], message: 'enables no trigger; add push, pull_request, schedule or manual: true' });
  }
  for (const event of ['push', 'pull_request'] as const) {
    const filter: Record<string, unknown> | undefined = on[event];
    for (const name of ['branches', 'tags', 'paths']) {
      // GitHub refuses both forms too: a positive list takes `!` patterns for exceptions.
      if (filter?.[name] && filter[`${name}-ignore`]) {
        issues.push({
          path: ['on', event, `${name}-ignore`],
          message: `cannot be used with ${name}; use "!pattern" entries in ${name} for exceptions`,
        });
      }
    }
  }
  for (const [i, entry] of (on.schedule ?? []).entries()) {
    const problem = cronProblem(entry.cron);
    if (problem) issues.push({ path: ['on', 'schedule', i, 'cron'], message: problem });
  }
  for (const [name, input] of Object.entries(manualInputs(on))) issues.push(...inputIssues(name, input));
  return issues;
}

function inputIssues(name: string, input: ManualInput): PathIssue[] {
  const at = (field: string) => ['on', 'manual', 'inputs', name, field];
  const issues: PathIssue[] = [];
  if (input.type === 'choice' && !input.options)
    issues.push({ path: at('type'), message: 'a choice input needs options' });
  if (input.type !== 'choice' && input.options)
    issues.push({ path: at('options'), message: `only a choice input has options (this one is ${input.type})` });
  const value = input.default;
  if (value === undefined) return issues;
  const expected = input.type === 'choice' ? 'string' : input.type;
  if (typeof value !== expected) {
    issues.push({
      path: at('default'),
      message: `must be a ${expected}, as the input's type is ${input.type}${expected === 'string' ? ' (quote it)' : ''}`,
    });
  } else if (input.type === 'choice' && input.options && !input.options.includes(value as string)) {
    issues.push({
      path: at('default'),
      message: `"${String(value)}" is not among options ${input.options.join(', ')}`,
    });
  }
  return issues;
}
