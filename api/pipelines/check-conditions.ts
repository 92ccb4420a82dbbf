/**
 * Checks the `if:` conditions of jobs and steps and the controls beside them: each condition must
 * parse and read only what is in scope (a job's: the trigger and its needs' results and outputs; a
 * step's: those and its earlier steps' outputs, outcome and conclusion), a step may give its timeout
 * or working directory one way only, and `defaults.run.working-directory` may read the trigger and
 * needs. Pure.
 */
import type { PipelineSpec, PipelineStep } from '../../workflows/contracts/pipeline-spec';
import { parseCondition } from '../../workflows/pipeline/conditions';
import { PipelineTemplateError, pipelineReferences, type PipelineReference } from '../../workflows/pipeline/templates';
import { referenceIssues, stepIds, templateIssues } from './check-outputs';
import type { PathIssue, SpecPath } from './pipeline-issue';

/** Every problem of the pipeline's conditions and step controls, each at the field that holds it. */
export function conditionIssues(spec: PipelineSpec): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [jobId, job] of Object.entries(spec.jobs)) {
    const base: SpecPath = ['jobs', jobId];
    // stepIds reports repeated ids itself; check-outputs already says so, once is enough.
    const ids = stepIds(jobId, job, []);
    if (job.if !== undefined) {
      const refs = conditionReferences(job.if, [...base, 'if'], issues);
      const fromSteps = refs.filter((ref) => ref.context === 'steps');
      for (const ref of fromSteps)
        issues.push({
          path: [...base, 'if'],
          message: `${ref.path.join('.')}: a job's if: runs before its steps; read steps.<id> in a step's if:`,
        });
      const rest = refs.filter((ref) => ref.context !== 'steps');
      issues.push(...referenceIssues(spec, jobId, ids, [...base, 'if'], rest, { needs: true, condition: true }));
    }
    const directory = job.defaults?.run?.['working-directory'];
    if (directory !== undefined)
      issues.push(
        ...templateIssues(spec, jobId, undefined, [...base, 'defaults', 'run', 'working-directory'], directory, {
          needs: true,
        }),
      );
    for (const list of ['steps', 'rollback'] as const) {
      // A rollback step's condition reads earlier rollback steps: the job's steps' records are not its.
      const earlier = new Set<string>();
      job[list].forEach((step: PipelineStep, index: number) => {
        const path: SpecPath = [...base, list, index];
        issues.push(...controlIssues(step, path));
        if (step.if !== undefined) {
          const refs = conditionReferences(step.if, [...path, 'if'], issues);
          issues.push(
            ...referenceIssues(spec, jobId, ids, [...path, 'if'], refs, {
              steps: earlier,
              needs: true,
              self: { list, index },
              condition: true,
            }),
          );
        }
        if (step.id !== undefined) earlier.add(step.id);
      });
    }
  }
  return issues;
}

/** The references of a condition, or none (with the parse error recorded) when it does not parse. */
function conditionReferences(source: string, path: SpecPath, issues: PathIssue[]): PipelineReference[] {
  try {
    return pipelineReferences(parseCondition(source));
  } catch (err) {
    if (!(err instanceof PipelineTemplateError)) throw err;
    issues.push({ path, message: `${err.reason} (at character ${err.position + 1} of the value)` });
    return [];
  }
}

/** A run step gives its timeout and its working directory one way each. */
function controlIssues(step: PipelineStep, path: SpecPath): PathIssue[] {
  if (!('run' in step)) return [];
  const issues: PathIssue[] = [];
  if (step.timeoutSeconds !== undefined && step['timeout-minutes'] !== undefined)
    issues.push({
      path: [...path, 'timeout-minutes'],
      message: 'and timeoutSeconds both set the step timeout; keep one',
    });
  if (step.workingDirectory !== undefined && step['working-directory'] !== undefined)
    issues.push({
      path: [...path, 'working-directory'],
      message: 'and workingDirectory both set the working directory; keep one',
    });
  return issues;
}
