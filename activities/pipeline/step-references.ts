/**
 * Output references in a pipeline step, as DAG tasks have them: a large step output is kept in the
 * output store and travels through the workflow as `capstan-ref:…`, so a later step whose template
 * read it receives the reference; here, on the worker, it becomes the content again. The rendered
 * paths are also checked to stay inside the job's workspace, since a template can make them anything.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { replaceOutputRefs } from '../../workflows/contracts/output-ref';
import type { PipelineStep } from '../../workflows/contracts/pipeline-spec';
import {
  MAX_ARG_STRLEN,
  readOutputRefs,
  readStackOutputRefs,
  replaceStackOutputRefs,
  type StackOutputReader,
} from '../shell/expand-references';
import type { OutputStore } from '../../config/outputs/output-store';
import { mapStepTexts, templatedStepFields } from '../../workflows/pipeline/render-step';

/** A step that cannot run as rendered (a missing stored output, a path leaving the workspace); not the worker's fault. */
export class StepInputError extends Error {}

/**
 * The step and env with every output reference replaced by its content from `store` (unchanged
 * when there is no store: then no step output was stored by reference). Throws StepInputError
 * naming the field for content the store lacks.
 */
export async function expandStepReferences(
  step: PipelineStep,
  env: Record<string, string>,
  store: OutputStore | undefined,
  stackOutputs?: StackOutputReader,
  secrets?: Set<string>,
): Promise<{ step: PipelineStep; env: Record<string, string> }> {
  const expanded = await expandStackOutputs(step, env, stackOutputs, secrets);
  if (expanded.step !== step || expanded.env !== env) return expandStepReferences(expanded.step, expanded.env, store);
  if (!store) return { step, env };
  const contents = await readOutputRefs(stepTexts(step, env), store, (message) => new StepInputError(message));
  if (contents.size === 0) return { step, env };
  const expand = (text: string): string => replaceOutputRefs(text, (reference) => contents.get(reference)!);
  return {
    step: mapStepTexts(step, expand),
    env: Object.fromEntries(Object.entries(env).map(([key, value]) => [key, expand(value)])),
  };
}

/** Every text of a step and its env that a reference may sit in, named as error messages name fields. */
function stepTexts(step: PipelineStep, env: Record<string, string>): Array<{ field: string; text: string }> {
  return [
    ...templatedStepFields(step).map(([path, text]) => ({ field: path.join('.'), text })),
    ...Object.entries(env).map(([key, text]) => ({ field: `env.${key}`, text })),
  ];
}

/** Secret stack outputs (`capstan-stack-output:…`) replaced by their values, read from the stack's state on this worker. */
async function expandStackOutputs(
  step: PipelineStep,
  env: Record<string, string>,
  read: StackOutputReader | undefined,
  secrets: Set<string> | undefined,
): Promise<{ step: PipelineStep; env: Record<string, string> }> {
  const values = await readStackOutputRefs(stepTexts(step, env), read, (message) => new StepInputError(message));
  for (const value of values.values()) secrets?.add(value);
  if (values.size === 0) return { step, env };
  const expand = (text: string): string => replaceStackOutputRefs(text, values);
  return {
    step: mapStepTexts(step, expand),
    env: Object.fromEntries(Object.entries(env).map(([key, value]) => [key, expand(value)])),
  };
}

/**
 * Throws StepInputError for a variable of the job or step that exec would refuse (E2BIG): rendered
 * outputs can make a value longer than the spec allowed, and a failed spawn would look like the worker's fault.
 */
export function checkEnvSizes(step: PipelineStep, env: Record<string, string>): void {
  for (const [key, value] of [...Object.entries(env), ...Object.entries('run' in step ? step.env : {})]) {
    if (Buffer.byteLength(`${key}=${value}`) + 1 > MAX_ARG_STRLEN) {
      throw new StepInputError(
        `env.${key} is ${Buffer.byteLength(value)} bytes with its outputs filled in, over the ${MAX_ARG_STRLEN}-byte limit Linux puts on one variable; read the output in "run" instead`,
      );
    }
  }
}

/** Throws StepInputError when a rendered path of the step leads outside `workspace`. */
export function checkStepPaths(step: PipelineStep, workspace: string): void {
  const paths = templatedStepFields(step).filter(([path]) => path.at(-1) === 'path' || path[0] === 'workingDirectory');
  for (const [path, text] of paths) {
    const inside = relative(workspace, resolve(workspace, text));
    if (isAbsolute(text) || inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
      throw new StepInputError(`${path.join('.')} "${text}" leads outside the job workspace`);
    }
  }
}
