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

/** What a templated field or condition may refer to. */
export interface Scope {
  /** Step ids readable here; undefined when no step is in scope (job env, pipeline env). */
  steps?: Set<string>;
  /** Whether `needs.` is available here. */
  needs: boolean;
  /** The step whose field this is, if any. */
  self?: { list: 'steps' | 'rollback'; index: number };
  /** A condition (`if:`) also reads steps.<id>.outcome/conclusion and needs.<job>.result. */
  condition?: boolean;
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
export function stepIds(jobId: string, job: PipelineJob, issues: PathIssue[]): Map<string, StepIdPlace> {
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
export function templateIssues(
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
  return referenceIssues(spec, jobId, ids, path, references, scope);
}

/** The problems of the references one field makes: each must be in scope and name something that exists. */
export function referenceIssues(
  spec: PipelineSpec,
  jobId: string,
  ids: Map<string, StepIdPlace> | undefined,
  path: SpecPath,
  references: PipelineReference[],
  scope: Scope,
): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const ref of references) {
    // Matrix references are check-matrix's.
    if (ref.context === 'matrix') continue;
    const id = ref.id ?? '';
    const problem =
      ref.context === 'steps'
        ? (shapeProblem(ref, scope) ?? stepProblem({ ...ref, id }, ids, scope, jobId))
        : ref.context === 'needs'
          ? (shapeProblem(ref, scope) ?? needsProblem({ ...ref, id }, spec, jobId, scope))
          : runContextProblem(ref);
    if (problem) issues.push({ path, message: `${spelling(ref)}: ${problem}` });
  }
  return issues;
}

/** The fields a reference to a step or job may read here. */
function fieldsOf(ref: PipelineReference, scope: Scope): string[] {
  // A step's outcome is known to conditions only; a needed job's result is known before the job starts.
  if (ref.context === 'steps') return scope.condition ? ['outputs', 'outcome', 'conclusion'] : ['outputs'];
  return ['outputs', 'result'];
}

/** `steps.<id>.<field>[.<name>]`, `needs.<job>.<field>[.<name>]`: the shape, before what it names is looked up. */
function shapeProblem(ref: PipelineReference, scope: Scope): string | undefined {
  const fields = fieldsOf(ref, scope);
  const form = ref.context === 'steps' ? 'steps.<id>.outputs.<name>' : 'needs.<job>.outputs.<name>';
  if (ref.id === undefined || ref.field === undefined) return `incomplete; write ${form}`;
  if (!fields.includes(ref.field)) {
    if (fields.length === 1) return `only outputs can be read: ${form}`;
    return `unknown field "${ref.field}"; ${ref.context}.<id> has ${fields.join(', ')}`;
  }
  const depth = ref.field === 'outputs' ? 4 : 3;
  if (ref.path.length > depth) return `"${ref.field}" has no fields`;
  return undefined;
}

/** branch, event, sha, repository are plain values; inputs.<name> names one input. */
function runContextProblem(ref: PipelineReference): string | undefined {
  if (ref.context === 'inputs') {
    if (ref.path.length !== 2) return 'write inputs.<name>';
    return undefined;
  }
  return ref.path.length === 1 ? undefined : `${ref.context} is a plain value and has no fields`;
}

function stepProblem(
  ref: PipelineReference & { id: string },
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
  if (ref.field !== 'outputs') return undefined;
  if (!('run' in place.step) && !('stack' in place.step) && !('cache' in place.step))
    return `step "${ref.id}" is not a run, stack or cache step and writes no outputs`;
  return undefined;
}

function needsProblem(
  ref: PipelineReference & { id: string },
  spec: PipelineSpec,
  jobId: string,
  scope: Scope,
): string | undefined {
  if (!scope.needs) return "no job is in scope in the pipeline's env; use needs.<job> in a job's env or steps";
  const jobs = Object.keys(spec.jobs);
  if (!Object.hasOwn(spec.jobs, ref.id)) return `unknown job "${ref.id}"${closest(ref.id, jobs)}`;
  if (ref.id === jobId) return `is this job; use steps.<id>.outputs for its own steps`;
  if (!spec.jobs[jobId]!.needs.includes(ref.id))
    return `job "${ref.id}" is not in the needs of "${jobId}"; add it to needs (outputs of jobs needed only through other jobs are not readable)`;
  if (ref.field !== 'outputs') return undefined;
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
  return ref.path.join('.');
}
