/** Starting a pipeline run: one workflow per run, its jobs dispatched to their node classes. */
import type { PipelineRunInput, PipelineTrigger } from '../../workflows/contracts/pipeline-run';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { pipelineRunLabels, pipelineRunSummary } from '../../workflows/contracts/pipeline-labels';
import type { ApiDeps } from './deps';
import { startRun, type StartedRun } from './start-run';

/** Starts `spec` for `trigger`; `idempotencyKey` (e.g. a webhook's delivery id) makes a repeated request return the same run. */
export function startPipeline(
  deps: ApiDeps,
  spec: PipelineSpec,
  trigger: PipelineTrigger,
  idempotencyKey?: string,
): Promise<StartedRun> {
  const input: PipelineRunInput = {
    spec,
    trigger,
    policy: { ...deps.taskPolicy, taskQueuePrefix: deps.taskQueuePrefix, pulumiNodeClass: deps.pulumiNodeClass },
  };
  return startRun(
    deps,
    {
      kind: 'pipeline',
      workflowType: 'pipelineWorkflow',
      request: { spec, trigger: { ...trigger, triggeredBy: undefined } },
      args: [input],
      // Branch, commit and event ride along so the console can group pipeline runs from the list alone.
      memo: { name: spec.name, labels: pipelineRunLabels(trigger) },
      summary: pipelineRunSummary(spec.name, trigger),
      idHint: spec.name,
    },
    idempotencyKey,
  );
}
