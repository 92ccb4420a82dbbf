/**
 * Whether a pipeline job or step runs, from the run's records: its `if:` (or the implicit
 * success()), evaluated against the trigger, the needed jobs and the earlier steps. Pure.
 */
import type { JobRecord, PipelineTrigger, StepRecord } from '../contracts/pipeline-run';
import type { PipelineSpec, PipelineStep } from '../contracts/pipeline-spec';
import { evaluateGate, resultOf, type Gate, type Result } from './conditions';
import type { RunFacts, TemplateScope } from './templates';

/** What the trigger tells expressions; a run without inputs reads every `inputs.<name>` as ''. */
export function runFacts(trigger: PipelineTrigger): RunFacts {
  return {
    branch: trigger.branch,
    event: trigger.event,
    sha: trigger.sha,
    repository: trigger.repository,
    inputs: trigger.inputs ?? {},
  };
}

/** What conditions read of a needed job. */
export interface NeedContext {
  result: Result;
  outputs: Record<string, string>;
}

/** `needs.<job>` as conditions read it: the result and outputs of each job in `needs`. */
export function needsContext(needs: string[], recordOf: (id: string) => JobRecord): Record<string, NeedContext> {
  return Object.fromEntries(
    needs.map((n) => {
      const record = recordOf(n);
      return [n, { result: resultOf(record.status, record.continuedOnError), outputs: record.outputs ?? {} }];
    }),
  );
}

/**
 * Whether job `id` runs, once every job it needs has ended. success() and failure() look at all its
 * upstream jobs, as GitHub's do, so a notify job behind a skipped job still sees the failure above it.
 */
export function jobGate(
  spec: PipelineSpec,
  trigger: PipelineTrigger,
  id: string,
  recordOf: (id: string) => JobRecord,
  runCancelled = false,
): Gate {
  const job = spec.jobs[id]!;
  const upstream = upstreamOf(spec, id);
  const before = upstream.map((n) => ({ name: n, result: resultOfRecord(recordOf(n)) }));
  const blocked = job.needs.filter((n) => resultOfRecord(recordOf(n)) !== 'success');
  const notSucceeded = `needs ${(blocked.length > 0 ? blocked : before.filter((b) => b.result !== 'success').map((b) => b.name)).join(', ')}, which did not succeed`;
  return evaluateGate(
    job.if,
    {
      contexts: { ...runFacts(trigger), needs: needsContext(job.needs, recordOf) },
      before,
      cancelled: runCancelled || before.some((b) => b.result === 'cancelled'),
    },
    notSucceeded,
  );
}

/** Whether step `index` of a list (steps or rollback) runs, given how the earlier ones ended. */
export function stepGate(
  steps: PipelineStep[],
  records: StepRecord[],
  index: number,
  scope: TemplateScope,
  needs: Record<string, NeedContext>,
): Gate {
  const before: Array<{ name: string; result: Result }> = [];
  const stepContext: Record<string, unknown> = {};
  for (let i = 0; i < index; i++) {
    const rec = records[i]!;
    const outcome = resultOf(rec.status);
    const conclusion = resultOf(rec.status, rec.continuedOnError);
    // A step skipped by its condition does not make later steps fail, as on GitHub.
    if (outcome !== 'skipped') before.push({ name: rec.name, result: conclusion });
    const id = steps[i]!.id;
    if (id !== undefined) stepContext[id] = { outputs: scope.steps[id] ?? {}, outcome, conclusion };
  }
  const failed = before.filter((b) => b.result !== 'success').map((b) => `"${b.name}"`);
  return evaluateGate(
    steps[index]!.if,
    {
      contexts: { ...(scope.run ?? {}), needs, steps: stepContext },
      before,
      cancelled: before.some((b) => b.result === 'cancelled'),
    },
    `an earlier step did not succeed (${failed.join(', ')})`,
  );
}

function resultOfRecord(record: JobRecord): Result {
  return resultOf(record.status, record.continuedOnError);
}

/** Every job `id` needs, directly or through other jobs, each once, nearest first. */
function upstreamOf(spec: PipelineSpec, id: string): string[] {
  const seen = new Set<string>();
  const queue = [...spec.jobs[id]!.needs];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(spec.jobs[next]?.needs ?? []));
  }
  return [...seen];
}
