/** Starting a pipeline run: one workflow per run, its jobs dispatched to their node classes. */
import type { PipelineReuse, PipelineRunInput, PipelineTrigger } from '../../workflows/contracts/pipeline-run';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { pipelineRunLabels, pipelineRunSummary } from '../../workflows/contracts/pipeline-labels';
import type { ApiDeps } from './deps';
import { startRun, type StartedRun } from './start-run';

/**
 * Starts `spec` for `trigger`; `idempotencyKey` (e.g. a webhook's delivery id) makes a repeated
 * request return the same run; `reuse` makes it a re-run that takes those jobs over from an earlier run.
 */
export function startPipeline(
  deps: ApiDeps,
  spec: PipelineSpec,
  trigger: PipelineTrigger,
  idempotencyKey?: string,
  reuse?: PipelineReuse,
): Promise<StartedRun> {
  const input: PipelineRunInput = {
    spec,
    trigger,
    policy: { ...deps.taskPolicy, taskQueuePrefix: deps.taskQueuePrefix, pulumiNodeClass: deps.pulumiNodeClass },
    ...(reuse ? { reuse } : {}),
  };
  const rerun = reuse ? { rerunOf: reuse.fromRunId, reused: Object.keys(reuse.jobs).sort() } : {};
  return startRun(
    deps,
    {
      kind: 'pipeline',
      workflowType: 'pipelineWorkflow',
      request: { spec, trigger: { ...trigger, triggeredBy: undefined }, ...rerun },
      args: [input],
      // Branch, commit and event ride along so the console can group pipeline runs from the list alone.
      memo: {
        name: spec.name,
        labels: pipelineRunLabels(trigger),
        ...(reuse ? { retryOf: reuse.fromRunId } : {}),
      },
      summary: `${reuse ? `re-run of ${reuse.fromRunId}: ` : ''}${pipelineRunSummary(spec.name, trigger)}`,
      idHint: spec.name,
    },
    idempotencyKey,
  );
}
