/** A run step as the worker gets it: GitHub's spellings folded into Capstan's and the job's `defaults.run` applied. Pure. */
import type { PipelineJob, PipelineStep } from '../contracts/pipeline-spec';
import { stepTimeoutSeconds } from '../contracts/step-timeout';

/**
 * The step with `working-directory` read as `workingDirectory`, the job's default working directory
 * and shell where the step sets none, and its timeout in seconds; other kinds of step unchanged.
 */
export function withJobDefaults<S extends PipelineStep>(step: S, job: PipelineJob): S {
  if (!('run' in step)) return step;
  const { 'working-directory': alias, 'timeout-minutes': _minutes, ...rest } = step;
  const directory = step.workingDirectory ?? alias ?? job.defaults?.run?.['working-directory'];
  const shell = step.shell ?? job.defaults?.run?.shell;
  return {
    ...rest,
    ...(directory !== undefined ? { workingDirectory: directory } : {}),
    ...(shell !== undefined ? { shell } : {}),
    timeoutSeconds: stepTimeoutSeconds(step),
  } as S;
}
