/**
 * Checks job matrices (`strategy`) and every `${{ matrix.<key> }}`: sizes within the limits, axis and
 * `exclude` keys, the node class of each combination, and matrix references only where a matrix
 * gives them a value. Uses the workflow's own expansion (workflows/pipeline/matrix.ts). Pure.
 */
import { PIPELINE_MATRIX_KEY_PATTERN, type JobStrategy } from '../../workflows/contracts/pipeline-matrix';
import type { PipelineJob, PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { expandJob, includeEntries, matrixAxes, matrixUpperBound, type JobUnit } from '../../workflows/pipeline/matrix';
import { templatedStepFields } from '../../workflows/pipeline/render-step';
import { isTemplate, parsePipelineTemplate, PipelineTemplateError } from '../../workflows/pipeline/templates';
import { closest } from './check-needs';
import type { PathIssue, SpecPath } from './pipeline-issue';

/** Size limits of matrices, as DAG matrices have. */
export interface PipelineMatrixLimits {
  /** Most combinations one job's matrix may expand to. */
  maxMatrixBranches: number;
  /** Most jobs a pipeline may expand to, combinations included. */
  maxExpandedJobs: number;
}

/** The limits when a deployment sets none: GitHub Actions' 256 combinations per matrix. */
export const DEFAULT_MATRIX_LIMITS: PipelineMatrixLimits = { maxMatrixBranches: 256, maxExpandedJobs: 1000 };

/** The pipeline limits under a deployment's DAG limits: a matrix may have as many combinations as a DAG matrix branches. */
export function matrixLimitsOf(dag: { maxMatrixBranches: number }): PipelineMatrixLimits {
  return { ...DEFAULT_MATRIX_LIMITS, maxMatrixBranches: dag.maxMatrixBranches };
}

/** A field that may hold templates, and whether it may read only the matrix (it is rendered before the job runs). */
interface Field {
  path: SpecPath;
  text: string;
  matrixOnly: boolean;
}

/** Every problem of the pipeline's matrices and matrix references, each at the field that holds it. */
export function matrixIssues(
  spec: PipelineSpec,
  nodeClasses: readonly string[],
  limits: PipelineMatrixLimits = DEFAULT_MATRIX_LIMITS,
): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [key, value] of Object.entries(spec.env))
    issues.push(...referenceIssues({ path: ['env', key], text: value, matrixOnly: false }, undefined, 'the pipeline'));
  let total = 0;
  for (const [id, job] of Object.entries(spec.jobs)) {
    const base = ['jobs', id];
    let keys: Set<string> | undefined;
    if (job.strategy) {
      keys = new Set([...Object.keys(matrixAxes(job.strategy)), ...includeEntries(job.strategy).flatMap(Object.keys)]);
      const shape = strategyIssues(id, job, job.strategy, limits);
      issues.push(...shape);
      if (shape.length === 0) {
        const units = expandJob(id, job);
        total += units.length;
        issues.push(...classIssues(id, units, nodeClasses));
      }
    } else total += 1;
    for (const field of jobFields(job)) {
      issues.push(...referenceIssues({ ...field, path: [...base, ...field.path] }, keys, `job "${id}"`, !!keys));
    }
  }
  if (total > limits.maxExpandedJobs)
    issues.push({
      path: ['jobs'],
      message: `expand to ${total} jobs (matrix combinations included), over the limit of ${limits.maxExpandedJobs}`,
    });
  for (const id of Object.keys(spec.jobs)) {
    // `test[0]` has the workspace and log directory `test_0_`; a job of that id would share them.
    const twin = /^(.+)_(0|[1-9][0-9]*)_$/.exec(id);
    if (twin && spec.jobs[twin[1]!]?.strategy)
      issues.push({
        path: ['jobs', id],
        message: `job id "${id}" would share files with combination ${twin[1]}[${twin[2]}] of matrix job "${twin[1]}"; rename it`,
      });
  }
  return issues;
}

function strategyIssues(
  id: string,
  job: PipelineJob,
  strategy: JobStrategy,
  limits: PipelineMatrixLimits,
): PathIssue[] {
  const base = ['jobs', id, 'strategy'];
  const issues: PathIssue[] = [];
  const axes = matrixAxes(strategy);
  for (const key of Object.keys(axes)) {
    if (!PIPELINE_MATRIX_KEY_PATTERN.test(key))
      issues.push({
        path: [...base, 'matrix', key],
        message: 'must be letters, digits, "_" or "-", starting with a letter or "_"',
      });
  }
  const excludes: Array<[SpecPath, Record<string, unknown>[]]> = [
    [[...base, 'matrix', 'exclude'], strategy.matrix.exclude],
    [[...base, 'exclude'], strategy.exclude],
  ];
  for (const [path, entries] of excludes) {
    entries.forEach((entry, i) => {
      for (const key of Object.keys(entry)) {
        if (!Object.hasOwn(axes, key))
          issues.push({
            path: [...path, i, key],
            message: `"${key}" is not a matrix axis${closest(key, Object.keys(axes))}; exclude names axes of the matrix (${Object.keys(axes).join(', ') || 'none'})`,
          });
      }
    });
  }
  const bound = matrixUpperBound(strategy);
  if (bound > limits.maxMatrixBranches)
    issues.push({
      path: [...base, 'matrix'],
      message: `expands to ${bound} combinations, over the limit of ${limits.maxMatrixBranches}`,
    });
  else if (issues.length === 0 && expandJob(id, job).length === 0)
    issues.push({
      path: [...base, 'matrix'],
      message: 'expands to no combinations; give it an axis or an include entry, or exclude less',
    });
  if (job.environment)
    issues.push({
      path: ['jobs', id, 'environment'],
      message:
        'a matrix job cannot deploy to an environment (each combination would deploy); move the deploy to a job that needs this one',
    });
  if (job.concurrency)
    issues.push({
      path: ['jobs', id, 'concurrency'],
      message: "a matrix job cannot take a concurrency group (its combinations would queue on each other's group)",
    });
  job.steps.forEach((step, i) => {
    if ('upload-artifact' in step)
      issues.push({
        path: ['jobs', id, 'steps', i, 'upload-artifact'],
        message: `every combination would upload artifact "${step['upload-artifact'].name}", and artifact names are unique in a run; upload from a job without a matrix`,
      });
  });
  return issues;
}

/** Each unknown node class once, naming the first combination that runs on it. */
function classIssues(id: string, units: JobUnit[], nodeClasses: readonly string[]): PathIssue[] {
  const bad = new Map<string, JobUnit[]>();
  for (const unit of units) {
    const nodeClass = unit.spec['runs-on'];
    if (!nodeClasses.includes(nodeClass)) bad.set(nodeClass, [...(bad.get(nodeClass) ?? []), unit]);
  }
  const known = nodeClasses.length > 0 ? nodeClasses.join(', ') : 'none are configured';
  return [...bad].map(([nodeClass, [first, ...more]]) => ({
    path: ['jobs', id, 'runs-on'],
    message: `combination ${first!.id} (${describe(first!)}) runs on unknown node class "${nodeClass}"${more.length > 0 ? ` (and ${more.length} more)` : ''}; known: ${known}`,
  }));
}

function describe(unit: JobUnit): string {
  return Object.entries(unit.matrix ?? {})
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(', ');
}

/** The job's fields that may hold `${{ }}`, relative to the job. */
function jobFields(job: PipelineJob): Field[] {
  const fields: Field[] = [];
  if (job.name !== undefined) fields.push({ path: ['name'], text: job.name, matrixOnly: true });
  fields.push({ path: ['runs-on'], text: job['runs-on'], matrixOnly: true });
  for (const [key, value] of Object.entries(job.env))
    fields.push({ path: ['env', key], text: value, matrixOnly: false });
  for (const list of ['steps', 'rollback'] as const) {
    job[list].forEach((step, i) => {
      if (step.name !== undefined) fields.push({ path: [list, i, 'name'], text: step.name, matrixOnly: true });
      for (const [path, text] of templatedStepFields(step))
        fields.push({ path: [list, i, ...path], text, matrixOnly: false });
    });
  }
  for (const [name, value] of Object.entries(job.outputs ?? {}))
    fields.push({ path: ['outputs', name], text: value, matrixOnly: false });
  return fields;
}

/**
 * The problems of one field's matrix references. Fields rendered before the job runs (names,
 * `runs-on`) of a matrix job may read the matrix only, and a malformed template there is reported
 * here, since the output checks do not read those fields.
 */
function referenceIssues(field: Field, keys: Set<string> | undefined, owner: string, strict = false): PathIssue[] {
  if (!isTemplate(field.text)) return [];
  let references;
  try {
    references = parsePipelineTemplate(field.text).references;
  } catch (err) {
    if (!(err instanceof PipelineTemplateError)) throw err;
    return strict && field.matrixOnly
      ? [{ path: field.path, message: `\${{ }}: ${err.reason} (at character ${err.position + 1} of the value)` }]
      : [];
  }
  const issues: PathIssue[] = [];
  for (const ref of references) {
    if (ref.context !== 'matrix') {
      if (strict && field.matrixOnly)
        issues.push({
          path: field.path,
          message: `${ref.path.join('.')}: only matrix.<key> can be read here, as it is set before the job runs`,
        });
      continue;
    }
    const key = ref.name;
    if (key === undefined || ref.path.length !== 2)
      issues.push({ path: field.path, message: `${ref.path.join('.')}: write matrix.<key>` });
    else if (!keys) issues.push({ path: field.path, message: `matrix.${key}: ${owner} has no strategy.matrix` });
    else if (!keys.has(key))
      issues.push({
        path: field.path,
        message: `matrix.${key}: ${owner} has no matrix key "${key}"${closest(key, [...keys])}; its keys: ${[...keys].join(', ')}`,
      });
  }
  return issues;
}
