/**
 * What a pipeline's Temporal Schedule starts: reads the default branch's head (an activity, with git),
 * checks that its pipeline file is the one the schedule was set from, then starts the pipeline run as
 * an abandoned child, so the run outlives this short workflow and is listed like any pipeline run.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { createScheduleActivities } from '../activities/forge/scheduled-head';
import { nodeClassTaskQueue } from './contracts/node-class';
import { pipelineRunLabels, pipelineRunSummary } from './contracts/pipeline-labels';
import type { PipelineRunInput, PipelineTrigger } from './contracts/pipeline-run';
import { SCHEDULED_PIPELINE_CHANGED, type ScheduledPipelineInput } from './contracts/scheduled-pipeline';
import { kindSearchAttribute, type RunMemo } from './definitions';

/** Set by Temporal on every workflow a schedule starts: the action's nominal time. */
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

// git ls-remote and one shallow fetch; retries cover a remote or a worker that is briefly away.
const PREPARE_OPTIONS = {
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 4, nonRetryableErrorTypes: [SCHEDULED_PIPELINE_CHANGED] },
};

/** What the scheduled start did: the run it started, at which commit of which branch. */
export interface ScheduledPipelineResult {
  runId: string;
  branch: string;
  sha: string;
}

/** Starts the scheduled pipeline on the default branch's head; fails, naming why, when the pipeline file there changed. */
export async function scheduledPipelineWorkflow(input: ScheduledPipelineInput): Promise<ScheduledPipelineResult> {
  const info = workflowInfo();
  const nominal = info.typedSearchAttributes.get(scheduledStartTime) ?? info.runStartTime;
  const runId = `pipeline-${slug(input.spec.name)}-${slug(input.repository)}-${nominal.toISOString().replace(/[-:.]/g, '')}`;
  const startedBy = `schedule:${input.repository}`;
  // Any worker of the pipeline's first class has git, as it checks the code out.
  const firstClass = Object.values(input.spec.jobs)[0]!['runs-on'];
  const { prepareScheduledRun } = proxyActivities<ReturnType<typeof createScheduleActivities>>({
    ...PREPARE_OPTIONS,
    taskQueue: nodeClassTaskQueue(input.policy.taskQueuePrefix, firstClass),
  });
  const head = await prepareScheduledRun.executeWithOptions(
    { summary: `read the head of ${input.repository}'s default branch` },
    [
      {
        repository: input.repository,
        cloneUrl: input.cloneUrl,
        pipelinePath: input.pipelinePath,
        digest: input.digest,
        runId,
        name: input.spec.name,
        startedBy,
      },
    ],
  );
  const trigger: PipelineTrigger = {
    event: 'schedule',
    repository: input.repository,
    cloneUrl: input.cloneUrl,
    sha: head.sha,
    branch: head.branch,
    triggeredBy: startedBy,
  };
  const memo: RunMemo = { kind: 'pipeline', name: input.spec.name, labels: pipelineRunLabels(trigger), startedBy };
  const args: [PipelineRunInput] = [{ spec: input.spec, trigger, policy: input.policy }];
  await startChild('pipelineWorkflow', {
    workflowId: runId,
    args,
    memo: { ...memo },
    typedSearchAttributes: [{ key: kindSearchAttribute, value: 'pipeline' }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: pipelineRunSummary(input.spec.name, trigger),
  });
  return { runId, branch: head.branch, sha: head.sha };
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'run'
  );
}
