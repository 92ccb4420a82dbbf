/**
 * Expands pipeline jobs over their `strategy.matrix` into the jobs that run: one per combination,
 * with ids in the DAG's `test[2]` spelling and `${{ matrix.<key> }}` rendered in `runs-on`, `name`
 * and step names. The combinations follow GitHub Actions: the product of the axes, minus `exclude`,
 * then `include`. Pure and deterministic, so validation (api/pipelines) and the workflow share it.
 */
import type { MatrixValue } from '../contracts/dag-spec';
import type { JobRecord } from '../contracts/pipeline-run';
import type { JobStrategy } from '../contracts/pipeline-matrix';
import type { PipelineJob, PipelineSpec, PipelineStep } from '../contracts/pipeline-spec';
import { matrixCombinations } from '../dag/plan';
import { isTemplate, renderPipelineTemplate } from './templates';

/** The values of one matrix combination, by key. */
export type MatrixValues = Record<string, MatrixValue>;

/** A job as it runs: a plain job, or one combination of a matrix job. */
export interface JobUnit {
  /** `build`, or `test[2]` for the third combination of matrix job `test`. */
  id: string;
  /** The job of the spec it comes from. */
  job: string;
  /** Display name: the job's `name` rendered, else `test (18, general)` for a combination, else the id. */
  name: string;
  /** What its commit status context ends with: the display name, or the id where names collide. */
  statusName: string;
  matrix?: MatrixValues;
  /** The job with `runs-on`, `name` and step names rendered for this combination. */
  spec: PipelineJob;
}

/** The id of combination `index` of matrix job `jobId`, as the DAG spells matrix branches. */
export function unitId(jobId: string, index: number): string {
  return `${jobId}[${index}]`;
}

/** The axes of a matrix: its keys with their values, without `include` and `exclude`. */
export function matrixAxes(strategy: JobStrategy): Record<string, MatrixValue[]> {
  const axes: Record<string, MatrixValue[]> = {};
  for (const [key, values] of Object.entries(strategy.matrix)) {
    if (key !== 'include' && key !== 'exclude') axes[key] = values as MatrixValue[];
  }
  return axes;
}

/** `include` entries, from inside `matrix` (GitHub's spelling) and beside it. */
export function includeEntries(strategy: JobStrategy): MatrixValues[] {
  return [...strategy.matrix.include, ...strategy.include];
}

/** `exclude` entries, from inside `matrix` (GitHub's spelling) and beside it. */
export function excludeEntries(strategy: JobStrategy): MatrixValues[] {
  return [...strategy.matrix.exclude, ...strategy.exclude];
}

/** The most combinations a strategy can expand to, counted without building them (for the limit check). */
export function matrixUpperBound(strategy: JobStrategy): number {
  const axes = Object.values(matrixAxes(strategy));
  return (axes.length > 0 ? axes.reduce((n, values) => n * values.length, 1) : 0) + includeEntries(strategy).length;
}

/**
 * The combinations of a strategy, as GitHub Actions computes them: the product of the axes; minus
 * each combination that matches every key of some `exclude` entry; then each `include` entry is
 * merged into every combination whose original values it does not change (values added by earlier
 * entries may be overwritten), or added as a combination of its own when it fits none.
 */
export function strategyCombinations(strategy: JobStrategy): MatrixValues[] {
  const axes = matrixAxes(strategy);
  const excludes = excludeEntries(strategy);
  const base = Object.keys(axes).length === 0 ? [] : matrixCombinations(axes);
  const kept = base.filter(
    (combo) => !excludes.some((entry) => Object.entries(entry).every(([key, value]) => combo[key] === value)),
  );
  const combos = kept.map((combo) => ({ original: combo, values: { ...combo } }));
  const extra: MatrixValues[] = [];
  for (const entry of includeEntries(strategy)) {
    let merged = false;
    for (const combo of combos) {
      const fits = Object.entries(entry).every(
        ([key, value]) => !Object.hasOwn(combo.original, key) || combo.original[key] === value,
      );
      if (fits) {
        Object.assign(combo.values, entry);
        merged = true;
      }
    }
    if (!merged) extra.push({ ...entry });
  }
  return [...combos.map((c) => c.values), ...extra];
}

/** `text` with `${{ matrix.<key> }}` rendered; a malformed template stays as written (validation reports it). */
export function renderMatrixText(text: string, matrix: MatrixValues): string {
  if (!isTemplate(text)) return text;
  try {
    return renderPipelineTemplate(text, { steps: {}, needs: {}, matrix });
  } catch {
    return text;
  }
}

/** The jobs `jobId` runs as: itself, or one per combination of its matrix. */
export function expandJob(jobId: string, job: PipelineJob): JobUnit[] {
  if (!job.strategy) {
    const name = job.name ?? jobId;
    return [{ id: jobId, job: jobId, name, statusName: name, spec: job }];
  }
  const units = strategyCombinations(job.strategy).map((matrix, index): JobUnit => {
    const name = job.name
      ? renderMatrixText(job.name, matrix)
      : `${jobId} (${Object.values(matrix)
          .map((v) => String(v))
          .join(', ')})`;
    const spec: PipelineJob = {
      ...job,
      'runs-on': renderMatrixText(job['runs-on'], matrix),
      steps: job.steps.map((step) => withRenderedName(step, matrix)),
      rollback: job.rollback.map((step) => withRenderedName(step, matrix)),
    };
    const id = unitId(jobId, index);
    return { id, job: jobId, name, statusName: name, matrix, spec };
  });
  // A name that does not tell combinations apart would merge their commit statuses into one.
  const counts = new Map<string, number>();
  for (const unit of units) counts.set(unit.name, (counts.get(unit.name) ?? 0) + 1);
  for (const unit of units) if (counts.get(unit.name)! > 1) unit.statusName = unit.id;
  return units;
}

/** Every job of the pipeline as it runs, in the order the spec lists them. */
export function expandPipeline(spec: PipelineSpec): JobUnit[] {
  return Object.entries(spec.jobs).flatMap(([id, job]) => expandJob(id, job));
}

function withRenderedName<S extends PipelineStep>(step: S, matrix: MatrixValues): S {
  return step.name === undefined ? step : { ...step, name: renderMatrixText(step.name, matrix) };
}

/**
 * A matrix job as the jobs that need it see it: failed when a combination failed (unless every
 * failure continued on error), else cancelled or still going when one is, skipped when all were,
 * succeeded when all did; its outputs are the combinations' merged in matrix order (the last wins).
 */
export function combinedRecord(jobId: string, records: JobRecord[]): JobRecord {
  const statuses = records.map((r) => r.status);
  const failures = records.filter((r) => r.status === 'failed');
  const status: JobRecord['status'] =
    failures.length > 0
      ? 'failed'
      : statuses.includes('cancelled')
        ? 'cancelled'
        : statuses.some((s) => s === 'pending' || s === 'running' || s === 'waiting-approval')
          ? 'running'
          : statuses.every((s) => s === 'skipped')
            ? 'skipped'
            : 'succeeded';
  return {
    id: jobId,
    status,
    nodeClass: records[0]?.nodeClass ?? '',
    steps: [],
    outputs: Object.assign({}, ...records.map((r) => r.outputs ?? {})) as Record<string, string>,
    ...(failures.length > 0 && failures.every((r) => r.continuedOnError === true) ? { continuedOnError: true } : {}),
  };
}
