/**
 * Which fields of a pipeline may hold `${{ }}` templates, and a step or job with them rendered.
 * Validation and the workflow share the list, so a field is checked exactly when it is rendered. Pure.
 */
import type { PipelineJob, PipelineStep } from '../contracts/pipeline-spec';
import { renderPipelineTemplate, type TemplateScope } from './templates';

/** A templated field: its path inside the step (`['env', 'VERSION']`) and its text. */
export type TemplatedField = [path: Array<string | number>, text: string];

/**
 * The fields of a step that are rendered: a run step's script, env values and working directory,
 * and the paths of checkout and artifact steps. Artifact and stack names stay literal: which job provides an
 * artifact is checked before the run starts, by name.
 */
export function templatedStepFields(step: PipelineStep): TemplatedField[] {
  if ('run' in step) {
    return [
      [['run'], step.run],
      ...Object.entries(step.env).map(([key, value]): TemplatedField => [['env', key], value]),
      ...(step.workingDirectory !== undefined ? [[['workingDirectory'], step.workingDirectory] as TemplatedField] : []),
      ...(step['working-directory'] !== undefined
        ? [[['working-directory'], step['working-directory']] as TemplatedField]
        : []),
    ];
  }
  if ('checkout' in step)
    return step.checkout !== true && step.checkout.path !== undefined
      ? [[['checkout', 'path'], step.checkout.path]]
      : [];
  if ('upload-artifact' in step) return [[['upload-artifact', 'path'], step['upload-artifact'].path]];
  // A stack step names a declared stack; its names stay literal, like artifact names.
  if ('stack' in step) return [];
  if ('cache' in step) {
    const { key, path } = step.cache;
    return [
      [['cache', 'key'], key],
      ...step.cache['restore-keys'].map((prefix, i): TemplatedField => [['cache', 'restore-keys', i], prefix]),
      ...(typeof path === 'string'
        ? [[['cache', 'path'], path] as TemplatedField]
        : path.map((p, i): TemplatedField => [['cache', 'path', i], p])),
    ];
  }
  return [[['download-artifact', 'path'], step['download-artifact'].path]];
}

/**
 * The step with every templated field rendered against `scope`. A cache step is returned as it is: its fields
 * may call hashFiles(), which only the worker holding the workspace can compute, so the worker renders them.
 */
export function renderStep<S extends PipelineStep>(step: S, scope: TemplateScope): S {
  if ('cache' in step) return step;
  return mapStepTexts(step, (text) => renderPipelineTemplate(text, scope));
}

/** The step with `map` applied to each of its templated fields (those templatedStepFields lists). */
export function mapStepTexts<S extends PipelineStep>(step: S, map: (text: string) => string): S {
  if ('run' in step) {
    return {
      ...step,
      run: map(step.run),
      env: Object.fromEntries(Object.entries(step.env).map(([key, value]) => [key, map(value)])),
      ...(step.workingDirectory !== undefined ? { workingDirectory: map(step.workingDirectory) } : {}),
      ...(step['working-directory'] !== undefined ? { 'working-directory': map(step['working-directory']) } : {}),
    };
  }
  if ('checkout' in step) {
    return step.checkout !== true && step.checkout.path !== undefined
      ? { ...step, checkout: { ...step.checkout, path: map(step.checkout.path) } }
      : step;
  }
  if ('upload-artifact' in step)
    return { ...step, 'upload-artifact': { ...step['upload-artifact'], path: map(step['upload-artifact'].path) } };
  if ('stack' in step) return step;
  if ('cache' in step) {
    const { key, path } = step.cache;
    return {
      ...step,
      cache: {
        key: map(key),
        'restore-keys': step.cache['restore-keys'].map(map),
        path: typeof path === 'string' ? map(path) : path.map(map),
      },
    };
  }
  return { ...step, 'download-artifact': { ...step['download-artifact'], path: map(step['download-artifact'].path) } };
}

/** The job's env with `needs.<job>.outputs` rendered (job env is set before any step runs, so steps are not in scope). */
export function renderJobEnv(
  job: PipelineJob,
  needs: TemplateScope['needs'],
  facts: Omit<TemplateScope, 'steps' | 'needs'> = {},
): Record<string, string> {
  return renderEnv(job.env, { ...facts, steps: {}, needs });
}

/** An env map with its values rendered against `scope`. */
export function renderEnv(env: Record<string, string>, scope: TemplateScope): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, renderPipelineTemplate(value, scope)]));
}

/** The job's `outputs:` map rendered once its steps have run. */
export function renderJobOutputs(job: PipelineJob, scope: TemplateScope): Record<string, string> {
  return Object.fromEntries(
    Object.entries(job.outputs ?? {}).map(([key, value]) => [key, renderPipelineTemplate(value, scope)]),
  );
}
