/**
 * The checks of a pipeline spec that its schema cannot express: triggers, node classes, the needs
 * graph, artifacts, rollback, concurrency groups, templates reading step and job outputs, and `if:` conditions. Pure, so the API and the CLI share it.
 */
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { artifactIssues } from './check-artifacts';
import { conditionIssues } from './check-conditions';
import { DEFAULT_MATRIX_LIMITS, matrixIssues, type PipelineMatrixLimits } from './check-matrix';
import { needsIssues } from './check-needs';
import { outputIssues } from './check-outputs';
import { triggerIssues } from './check-triggers';
import type { PathIssue, SpecPath } from './pipeline-issue';
import { GROUP_TEMPLATE } from '../../workflows/pipeline/concurrency-group';

/** Most jobs one pipeline may have: each is a group of activities and a record in the run's state. */
export const MAX_PIPELINE_JOBS = 100;

/** Every problem of a spec that passed the schema; an empty list means it can run. */
export function checkPipeline(
  spec: PipelineSpec,
  nodeClasses: readonly string[],
  limits: PipelineMatrixLimits = DEFAULT_MATRIX_LIMITS,
): PathIssue[] {
  const issues: PathIssue[] = [];
  const jobIds = Object.keys(spec.jobs);
  if (jobIds.length > MAX_PIPELINE_JOBS) {
    issues.push({
      path: ['jobs'],
      message: `has ${jobIds.length} jobs; a pipeline may have at most ${MAX_PIPELINE_JOBS}`,
    });
  }
  issues.push(...triggerIssues(spec.on));
  if (spec.concurrency) issues.push(...groupIssues(spec.concurrency.group, ['concurrency', 'group']));
  for (const [id, job] of Object.entries(spec.jobs)) {
    // A matrix job's class is checked per combination, by matrixIssues.
    if (!job.strategy && !nodeClasses.includes(job['runs-on'])) {
      const known = nodeClasses.length > 0 ? nodeClasses.join(', ') : 'none are configured';
      issues.push({
        path: ['jobs', id, 'runs-on'],
        message: `unknown node class "${job['runs-on']}"; known: ${known}`,
      });
    }
    if (job.rollback.length > 0 && !job.environment) {
      // Rollback undoes a deploy; a job without an environment deploys nothing to undo.
      issues.push({
        path: ['jobs', id, 'rollback'],
        message: 'is only allowed on deploy jobs; add an environment to the job or remove rollback',
      });
    }
    if (job.concurrency) issues.push(...groupIssues(job.concurrency.group, ['jobs', id, 'concurrency', 'group']));
  }
  const needs = needsIssues(spec.jobs);
  // Which job is upstream of which is only known once needs is right; until then artifact advice would mislead.
  issues.push(
    ...needs,
    ...(needs.length === 0 ? artifactIssues(spec.jobs) : []),
    ...outputIssues(spec),
    ...(needs.length === 0 ? conditionIssues(spec) : []),
  );
  issues.push(...matrixIssues(spec, nodeClasses, limits));
  return issues;
}

/** A group name may use `${{ branch }}` and nothing else, so that no other template passes through as literal text. */
function groupIssues(group: string, path: SpecPath): PathIssue[] {
  const unknown = group.replace(GROUP_TEMPLATE, '').match(/\$\{\{[^}]*\}\}/);
  return unknown ? [{ path, message: `${unknown[0]} is not supported in a group name; only \${{ branch }} is` }] : [];
}
