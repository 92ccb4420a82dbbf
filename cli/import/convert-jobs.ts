/** GitHub jobs converted to Capstan jobs: runner, needs, condition, matrix, limits, defaults, environment, outputs, steps. */
import type { YamlPath } from './import-report';
import { convertConcurrency } from './convert-concurrency';
import { asMap, convertEnv, convertIf, convertPlain, convertValue, type ImportContext } from './convert-context';
import { convertRunsOn } from './convert-runs-on';
import { convertStep } from './convert-steps';
import { relativePath } from './convert-paths';
import { convertEnvironment, convertStrategy, dropServices } from './convert-job-fields';

/** The workflow's `defaults.run`, which every job inherits. */
export interface RunDefaults {
  shell?: unknown;
  'working-directory'?: unknown;
}

/** Job fields with no Capstan counterpart, and why. */
const DROPPED_JOB_FIELDS: Record<string, string> = {
  permissions: 'Capstan gives steps no GitHub token, so there are no permissions to set',
  container:
    'Capstan runs steps on the worker itself, not in a container: use a node class whose workers have the tools',
  uses: 'a reusable workflow is not expanded: import it and copy its jobs here',
  with: 'inputs of a reusable workflow',
  secrets: 'secrets of a reusable workflow',
  'runs-on': '',
};

/** The job converted (always: a job whose steps are all dropped gets a placeholder step, so `needs` stay whole). */
export function convertJob(
  ctx: ImportContext,
  id: string,
  raw: unknown,
  defaults: RunDefaults,
): Record<string, unknown> {
  const job = asMap(raw) ?? {};
  ctx.dropped.steps.clear();
  const path: YamlPath = ['jobs', id];
  const anchor: YamlPath = ['jobs', id];
  const out: Record<string, unknown> = {};
  if (job.name !== undefined) {
    const name = convertPlain(ctx, job.name, [...path, 'name'], anchor);
    if (name !== undefined) out.name = name;
  }
  const strategy = convertStrategy(ctx, job.strategy, [...path, 'strategy'], anchor);
  // A job that calls a reusable workflow has no runner of its own; its `uses` is what the report names.
  out['runs-on'] =
    job.uses !== undefined && job['runs-on'] === undefined
      ? ctx.defaultClass
      : convertRunsOn(ctx, job['runs-on'], asMap(asMap(strategy)?.matrix), [...path, 'runs-on'], anchor);
  if (job.needs !== undefined) out.needs = Array.isArray(job.needs) ? job.needs.map(String) : [String(job.needs)];
  if (job.if !== undefined) {
    const condition = convertIf(ctx, job.if, [...path, 'if'], anchor);
    if (condition !== undefined) out.if = condition;
  }
  if (strategy) out.strategy = strategy;
  for (const key of ['timeout-minutes', 'continue-on-error'] as const) {
    if (job[key] === undefined) continue;
    const value = convertValue(ctx, job[key], [...path, key], anchor);
    if (value !== undefined) out[key] = value;
  }
  const run = { ...defaults, ...(asMap(asMap(job.defaults)?.run) ?? {}) } as RunDefaults;
  if (run['working-directory'] !== undefined) {
    const where = asMap(asMap(job.defaults)?.run)?.['working-directory'] !== undefined ? path : [];
    const dir = relativePath(ctx, run['working-directory'], [...where, 'defaults', 'run', 'working-directory'], anchor);
    if (dir !== undefined) out.defaults = { run: { 'working-directory': dir } };
  }
  if (job.env !== undefined) {
    const env = convertEnv(ctx, job.env, [...path, 'env'], anchor);
    if (env) out.env = env;
  }
  if (job.environment !== undefined) {
    const environment = convertEnvironment(ctx, job.environment, [...path, 'environment'], anchor);
    if (environment) out.environment = environment;
  }
  if (job.concurrency !== undefined) {
    const concurrency = convertConcurrency(ctx, job.concurrency, [...path, 'concurrency'], anchor);
    if (concurrency) out.concurrency = concurrency;
  }
  if (job.services !== undefined) dropServices(ctx, job.services, [...path, 'services'], anchor);
  out.steps = convertSteps(ctx, id, job, run);
  if (job.outputs !== undefined) {
    const outputs: Record<string, string> = {};
    for (const [name, value] of Object.entries(asMap(job.outputs) ?? {})) {
      const text = convertPlain(ctx, value, [...path, 'outputs', name], anchor);
      if (text !== undefined) outputs[name] = text;
      else ctx.dropped.outputs.add(`${id}.${name}`);
    }
    if (Object.keys(outputs).length > 0) out.outputs = outputs;
  }
  for (const [key, reason] of Object.entries(DROPPED_JOB_FIELDS))
    if (reason && job[key] !== undefined) ctx.report.drop([...path, key], reason, anchor);
  const known = new Set([
    ...Object.keys(DROPPED_JOB_FIELDS),
    'name',
    'needs',
    'if',
    'strategy',
    'timeout-minutes',
    'continue-on-error',
    'defaults',
    'env',
    'environment',
    'concurrency',
    'services',
    'steps',
    'outputs',
  ]);
  for (const key of Object.keys(job).filter((k) => !known.has(k)))
    ctx.report.drop([...path, key], 'not a job field Capstan knows', anchor);
  return out;
}

function convertSteps(ctx: ImportContext, id: string, job: Record<string, unknown>, run: RunDefaults): unknown[] {
  const steps: unknown[] = [];
  const raw = Array.isArray(job.steps) ? job.steps : [];
  raw.forEach((step, i) => {
    const converted = convertStep(ctx, step, {
      path: ['jobs', id, 'steps', i],
      anchor: ['jobs', id, 'steps', steps.length],
      defaultShell: run.shell,
    });
    if (converted) {
      ctx.stepSources.set(converted, ['jobs', id, 'steps', i]);
      steps.push(converted);
    } else if (typeof asMap(step)?.id === 'string') {
      ctx.dropped.steps.add(asMap(step)!.id as string);
    }
  });
  return steps.length > 0 ? steps : [placeholderStep(ctx, id)];
}

/** A job kept with a step that says so keeps the needs of the jobs after it whole. */
export function placeholderStep(ctx: ImportContext, id: string): Record<string, unknown> {
  ctx.report.change(['jobs', id], 'no step of this job could be converted; a placeholder step stands in', ['jobs', id]);
  return {
    name: 'not converted',
    run: `echo "job ${id}: nothing was converted from ${ctx.report.source}; see the import report"`,
  };
}
