/** Checks the `needs` graph of a pipeline: known jobs, no job needing itself, no cycles. Pure. */
import type { PipelineJob } from '../../workflows/contracts/pipeline-spec';
import type { PathIssue } from './pipeline-issue';

type Jobs = Record<string, Pick<PipelineJob, 'needs'>>;

/** Every problem of the jobs' `needs`, each at the entry that causes it. */
export function needsIssues(jobs: Jobs): PathIssue[] {
  const issues: PathIssue[] = [];
  const ids = Object.keys(jobs);
  for (const [id, job] of Object.entries(jobs)) {
    job.needs.forEach((need, index) => {
      const path = ['jobs', id, 'needs', index];
      if (need === id) issues.push({ path, message: 'a job cannot need itself' });
      else if (!Object.hasOwn(jobs, need)) issues.push({ path, message: `unknown job "${need}"${closest(need, ids)}` });
      else if (job.needs.indexOf(need) !== index)
        issues.push({ path, message: `"${need}" is already listed at needs[${job.needs.indexOf(need)}]` });
    });
  }
  const cycle = findNeedsCycle(jobs);
  if (cycle) {
    const [first, second] = cycle as [string, string];
    issues.push({
      path: ['jobs', first, 'needs', jobs[first]!.needs.indexOf(second)],
      message: `dependency cycle: ${cycle.join(' -> ')}`,
    });
  }
  return issues;
}

/**
 * The first cycle through `needs`, as job ids from a job back to itself (`build`, `test`, `build`),
 * or undefined. Self-needs and unknown jobs are reported on their own, so they are not followed here.
 */
export function findNeedsCycle(jobs: Jobs): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  // Recursion is fine: a pipeline has at most 100 jobs, so the stack stays shallow.
  const visit = (id: string): string[] | undefined => {
    const start = onPath.indexOf(id);
    if (start >= 0) return [...onPath.slice(start), id];
    if (done.has(id)) return undefined;
    onPath.push(id);
    for (const need of jobs[id]!.needs) {
      if (need === id || !Object.hasOwn(jobs, need)) continue;
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(id);
    return undefined;
  };
  for (const id of Object.keys(jobs)) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every job that `id` needs, directly or through other jobs; unknown names are ignored. */
export function upstreamOf(jobs: Jobs, id: string): Set<string> {
  const upstream = new Set<string>();
  const queue = [...(jobs[id]?.needs ?? [])];
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (upstream.has(next) || !Object.hasOwn(jobs, next)) continue;
    upstream.add(next);
    queue.push(...jobs[next]!.needs);
  }
  return upstream;
}

/** `; did you mean "x"?` for the known name nearest a misspelt one (at most two edits away), else nothing. */
export function closest(name: string, known: string[]): string {
  let best: { id: string; distance: number } | undefined;
  for (const id of known) {
    const distance = editDistance(name.toLowerCase(), id.toLowerCase());
    if (distance <= 2 && distance < id.length && (!best || distance < best.distance)) best = { id, distance };
  }
  return best ? `; did you mean "${best.id}"?` : '';
}

/** Levenshtein distance with one row of memory; job ids are at most 63 characters. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
