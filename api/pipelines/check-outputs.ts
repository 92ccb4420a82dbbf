/**
 * Checks the `${{ }}` templates of a pipeline and the ids and outputs they name, as GitHub Actions
 * scopes them: a step reads only earlier steps of its own job (`steps.<id>.outputs.<name>`), a job
 * only the jobs it lists in `needs` itself (`needs.<job>.outputs.<name>`, not their upstream), and
 * only outputs that job declares. Runs once needs is known to be sound. Pure.
 */
import type { PipelineJob, PipelineSpec, PipelineStep } from '../../workflows/contracts/pipeline-spec';
import { templatedStepFields } from '../../workflows/pipeline/render-step';
import {
  isTemplate,
  parsePipelineTemplate,
  PipelineTemplateError,
  type PipelineReference,
} from '../../workflows/pipeline/templates';
import { closest } from './check-needs';
import type { PathIssue, SpecPath } from './pipeline-issue';

/** Where a step id is defined in its job. */
interface StepIdPlace {
  list: 'steps' | 'rollback';
  index: number;
  step: PipelineStep;
}

/** What a templated field may refer to. */
interface Scope {
  /** Step ids readable here; undefined when no step is in scope (job env, pipeline env). */
  steps?: Set<string>;
  /** Whether `needs.` is available here. */
  needs: boolean;
  /** The step whose field this is, if any. */
  self?: { list: 'steps' | 'rollback'; index: number };
  /** Whether hashFiles() may be called: in a cache step's fields, which the worker renders. */
  hashFiles?: boolean;
}

/** Every problem of the pipeline's templates, step ids and job outputs, each at the field that holds it. */
export function outputIssues(spec: PipelineSpec): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [key, value] of Object.entries(spec.env)) {
    issues.push(...templateIssues(spec, '', undefined, ['env', key], value, { needs: false }));
  }
  for (const [jobId, job] of Object.entries(spec.jobs)) {
    const ids = stepIds(jobId, job, issues);
    const base = ['jobs', jobId];
    for (const [key, value] of Object.entries(job.env)) {
      issues.push(...templateIssues(spec, jobId, ids, [...base, 'env', key], value, { needs: true }));
    }
    const earlier = new Set<string>();
    job.steps.forEach((step, index) => {
      for (const [path, text] of templatedStepFields(step)) {
        issues.push(
          ...templateIssues(spec, jobId, ids, [...base, 'steps', index, ...path], text, {
            steps: earlier,
            needs: true,
            self: { list: 'steps', index },
            hashFiles: path[0] === 'cache',
          }),
        );
      }
      if (step.id !== undefined) earlier.add(step.id);
    });
    // Rollback runs after a failure: any step may have run before it, and earlier rollback steps have.
    job.rollback.forEach((step, index) => {
      for (const [path, text] of templatedStepFields(step)) {
        issues.push(
          ...templateIssues(spec, jobId, ids, [...base, 'rollback', index, ...path], text, {
            steps: earlier,
            needs: true,
            self: { list: 'rollback', index },
          }),
        );
      }
      if (step.id !== undefined) earlier.add(step.id);
    });
    const allSteps = new Set(ids.keys());
    for (const [name, value] of Object.entries(job.outputs ?? {})) {
      issues.push(
        ...templateIssues(spec, jobId, ids, [...base, 'outputs', name], value, { steps: allSteps, needs: true }),
      );
    }
  }
  return issues;
}

/** The job's step ids with where each is defined; a repeated id is an issue at its second use. */
function stepIds(jobId: string, job: PipelineJob, issues: PathIssue[]): Map<string, StepIdPlace> {
  const ids = new Map<string, StepIdPlace>();
  const add = (list: 'steps' | 'rollback', step: PipelineStep, index: number): void => {
    if (step.id === undefined) return;
    const first = ids.get(step.id);
    if (first)
      issues.push({
        path: ['jobs', jobId, list, index, 'id'],
        message: `step id "${step.id}" is already used by ${first.list}[${first.index}]; step ids must be unique in a job`,
      });
    else ids.set(step.id, { list, index, step });
  };
  job.steps.forEach((step, index) => add('steps', step, index));
  job.rollback.forEach((step, index) => add('rollback', step, index));
  return ids;
}

/** The problems of one templated field: it must parse, and each reference must be in scope. */
function templateIssues(
  spec: PipelineSpec,
  jobId: string,
  ids: Map<string, StepIdPlace> | undefined,
  path: SpecPath,
  text: string,
  scope: Scope,
): PathIssue[] {
  if (!isTemplate(text)) return [];
  let references: PipelineReference[];
  try {
    references = parsePipelineTemplate(text, { hashFiles: scope.hashFiles === true }).references;
  } catch (err) {
    if (!(err instanceof PipelineTemplateError)) throw err;
    return [{ path, message: `\${{ }}: ${err.reason} (at character ${err.position + 1} of the value)` }];
  }
  const issues: PathIssue[] = [];
  for (const ref of references) {
    const problem =
      ref.context === 'steps' ? stepProblem(ref, ids, scope, jobId) : needsProblem(ref, spec, jobId, scope);
    if (problem) issues.push({ path, message: `${spelling(ref)}: ${problem}` });
  }
  return issues;
}

function stepProblem(
  ref: PipelineReference,
  ids: Map<string, StepIdPlace> | undefined,
  scope: Scope,
  jobId: string,
): string | undefined {
  if (!scope.steps || !ids)
    return jobId === ''
      ? "no step is in scope in the pipeline's env"
      : `no step is in scope in a job's env, which is set before its steps run; use the step's own env`;
  const place = ids.get(ref.id);
  if (!place) return `unknown step id "${ref.id}" in job "${jobId}"${closest(ref.id, [...ids.keys()])}`;
  if (!scope.steps.has(ref.id)) {
    if (place.list === scope.self?.list && place.index === scope.self.index)
      return `is this step; a step reads the outputs of earlier steps only`;
    return `step "${ref.id}" is ${place.list}[${place.index}], which runs after this one; a step reads the outputs of earlier steps only`;
  }
  if (ref.field === 'status') return 'only outputs can be read: steps.<id>.outputs.<name>';
  if (!('run' in place.step) && !('stack' in place.step) && !('cache' in place.step))
    return `step "${ref.id}" is not a run, stack or cache step and writes no outputs`;
  return undefined;
}

function needsProblem(ref: PipelineReference, spec: PipelineSpec, jobId: string, scope: Scope): string | undefined {
  if (!scope.needs) return "no job is in scope in the pipeline's env; use needs.<job> in a job's env or steps";
  const jobs = Object.keys(spec.jobs);
  if (!Object.hasOwn(spec.jobs, ref.id)) return `unknown job "${ref.id}"${closest(ref.id, jobs)}`;
  if (ref.id === jobId) return `is this job; use steps.<id>.outputs for its own steps`;
  if (!spec.jobs[jobId]!.needs.includes(ref.id))
    return `job "${ref.id}" is not in the needs of "${jobId}"; add it to needs (outputs of jobs needed only through other jobs are not readable)`;
  if (ref.field === 'status') return 'only outputs can be read: needs.<job>.outputs.<name>';
  const declared = Object.keys(spec.jobs[ref.id]!.outputs ?? {});
  if (ref.name !== undefined && !declared.includes(ref.name)) {
    const known =
      declared.length > 0 ? `its outputs: ${declared.join(', ')}` : 'it declares none; add an outputs: map to that job';
    return `job "${ref.id}" has no output "${ref.name}" (${known})`;
  }
  return undefined;
}

/** The reference as the author wrote it, give or take the bracket form. */
function spelling(ref: PipelineReference): string {
  return `${ref.context}.${ref.id}.${ref.field}${ref.name === undefined ? '' : `.${ref.name}`}`;
}
