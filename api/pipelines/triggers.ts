/** Decides whether an event starts a pipeline. Pure. */
import type { PipelineEvent } from '../../workflows/contracts/pipeline-run';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';

/** What happened in a repository: the kind of event and the branch it concerns. */
export interface TriggerEvent {
  event: PipelineEvent;
  branch: string;
}

/** Whether a pipeline runs for an event, and why not when it does not. */
export type TriggerMatch = { matched: true } | { matched: false; reason: string };

/** Matches `event` against the spec's `on`: push and pull_request by branch filter, manual when enabled. */
export function matchTrigger(spec: Pick<PipelineSpec, 'on'>, event: TriggerEvent): TriggerMatch {
  if (event.event === 'manual') {
    return spec.on.manual === true
      ? { matched: true }
      : { matched: false, reason: 'pipeline does not trigger manually (on.manual is not true)' };
  }
  const filter = spec.on[event.event];
  if (!filter) return { matched: false, reason: `pipeline does not trigger on ${event.event}` };
  if (!filter.branches || filter.branches.some((pattern) => branchMatches(pattern, event.branch)))
    return { matched: true };
  return { matched: false, reason: `branch "${event.branch}" matches none of ${filter.branches.join(', ')}` };
}

/** Whether `branch` matches a filter: exact text, where `*` stands for any characters but `/` and `**` for any at all. */
export function branchMatches(pattern: string, branch: string): boolean {
  return globRegExp(pattern).test(branch);
}

function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.startsWith('**', i)) {
      source += '.*';
      i++;
    } else if (pattern[i] === '*') {
      source += '[^/]*';
    } else {
      // Everything else is literal: branch names hold ".", "+" and other characters a RegExp would read.
      source += pattern[i]!.replace(/[\\^$.|?+()[\]{}]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}
