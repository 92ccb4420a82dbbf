/** Decides whether an event starts a pipeline, with GitHub Actions' filters; says why not when it does not. Pure. */
import type { PipelineEvent } from '../../workflows/contracts/pipeline-run';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { manualEnabled } from '../../workflows/contracts/pipeline-triggers';
import { filterSelects, globMatches } from './glob-filter';

/** What happened in a repository: the kind of event, the branch or tag it concerns, and the files it changed. */
export interface TriggerEvent {
  event: PipelineEvent;
  /** The branch filters are matched against (a pull request's base); empty for a tag push. */
  branch: string;
  /** The tag of a tag push. */
  tag?: string;
  /** Files the push or pull request changed; undefined when unknown, and then path filters let it through. */
  changedFiles?: readonly string[];
}

/** Whether a pipeline runs for an event, and why not when it does not. */
export type TriggerMatch = { matched: true } | { matched: false; reason: string };

type RefFilter = { branches?: string[]; 'branches-ignore'?: string[]; tags?: string[]; 'tags-ignore'?: string[] };
type PathFilter = { paths?: string[]; 'paths-ignore'?: string[] };

/** Matches `event` against the spec's `on`: push and pull_request by branch, tag and path filters, manual when enabled. */
export function matchTrigger(spec: Pick<PipelineSpec, 'on'>, event: TriggerEvent): TriggerMatch {
  if (event.event === 'manual') {
    return manualEnabled(spec.on)
      ? { matched: true }
      : { matched: false, reason: 'pipeline does not trigger manually (on.manual is not set)' };
  }
  if (event.event === 'schedule') {
    return spec.on.schedule ? { matched: true } : { matched: false, reason: 'pipeline has no on.schedule' };
  }
  const filter: (RefFilter & PathFilter) | undefined = spec.on[event.event];
  if (!filter) return { matched: false, reason: `pipeline does not trigger on ${event.event}` };
  const ref = event.tag === undefined ? branchMatch(filter, event.branch) : tagMatch(filter, event.tag);
  if (!ref.matched || event.tag !== undefined) return ref;
  // GitHub does not read path filters for tag pushes; for the rest, the files changed decide.
  return pathMatch(filter, event.changedFiles);
}

/** Whether matching `event` needs the files it changed: its filter has paths and it is not a tag push. */
export function needsChangedFiles(spec: Pick<PipelineSpec, 'on'>, event: Pick<TriggerEvent, 'event' | 'tag'>): boolean {
  if (event.event !== 'push' && event.event !== 'pull_request') return false;
  const filter: PathFilter | undefined = spec.on[event.event];
  return event.tag === undefined && filter !== undefined && (!!filter.paths || !!filter['paths-ignore']);
}

/** Whether `branch` matches a filter: exact text, where `*` stands for any characters but `/` and `**` for any at all. */
export function branchMatches(pattern: string, branch: string): boolean {
  return globMatches(pattern, branch);
}

function branchMatch(filter: RefFilter, branch: string): TriggerMatch {
  const { branches, 'branches-ignore': ignored } = filter;
  // As on GitHub: a push filter that names only tags runs for tags only.
  if (!branches && !ignored && (filter.tags || filter['tags-ignore']))
    return { matched: false, reason: `branch "${branch}": the pipeline's push filters name tags only` };
  if (branches && !filterSelects(branches, branch))
    return { matched: false, reason: `branch "${branch}" matches none of ${branches.join(', ')}` };
  if (ignored && filterSelects(ignored, branch))
    return { matched: false, reason: `branch "${branch}" matches branches-ignore ${ignored.join(', ')}` };
  return { matched: true };
}

function tagMatch(filter: RefFilter, tag: string): TriggerMatch {
  const { tags, 'tags-ignore': ignored } = filter;
  if (!tags && !ignored && (filter.branches || filter['branches-ignore']))
    return { matched: false, reason: `tag "${tag}": the pipeline's push filters name branches only` };
  if (tags && !filterSelects(tags, tag))
    return { matched: false, reason: `tag "${tag}" matches none of tags ${tags.join(', ')}` };
  if (ignored && filterSelects(ignored, tag))
    return { matched: false, reason: `tag "${tag}" matches tags-ignore ${ignored.join(', ')}` };
  return { matched: true };
}

function pathMatch(filter: PathFilter, changed: readonly string[] | undefined): TriggerMatch {
  const { paths, 'paths-ignore': ignored } = filter;
  if ((!paths && !ignored) || changed === undefined) return { matched: true };
  if (paths && !changed.some((file) => filterSelects(paths, file)))
    return { matched: false, reason: `no changed file matches paths ${paths.join(', ')} (${listed(changed)})` };
  if (ignored && changed.every((file) => filterSelects(ignored, file)))
    return {
      matched: false,
      reason: `every changed file matches paths-ignore ${ignored.join(', ')} (${listed(changed)})`,
    };
  return { matched: true };
}

/** The changed files for a reason: the first few and how many there were. */
function listed(files: readonly string[]): string {
  if (files.length === 0) return 'no file changed';
  const shown = files.slice(0, 5).join(', ');
  return `${files.length} changed: ${shown}${files.length > 5 ? ', …' : ''}`;
}
