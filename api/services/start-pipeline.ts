/** Starting a pipeline run: one workflow per run, its jobs dispatched to their node classes. */
import type { PipelineReuse, PipelineRunInput, PipelineTrigger } from '../../workflows/contracts/pipeline-run';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
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
      memo: {
        name: spec.name,
        // Branch, commit and event ride along so the console can group pipeline runs from the list alone.
        labels: {
          repository: trigger.repository.replace(/[^a-z0-9._/-]/g, '-').slice(0, 200),
          branch: trigger.branch.replace(/[^A-Za-z0-9._/-]/g, '-').slice(0, 200),
          commit: trigger.sha.slice(0, 12),
          event: trigger.event,
        },
        ...(reuse ? { retryOf: reuse.fromRunId } : {}),
      },
      summary: `${reuse ? `re-run of ${reuse.fromRunId}: ` : ''}pipeline ${spec.name}: ${trigger.event} ${trigger.repository}@${trigger.branch} ${trigger.sha.slice(0, 12)}`,
      idHint: spec.name,
    },
    idempotencyKey,
  );
}
