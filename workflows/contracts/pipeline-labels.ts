/** The labels and summary a pipeline run starts with, whoever starts it (the API, or a schedule's workflow). Pure. */
import type { PipelineTrigger } from './pipeline-run';

/** Repository, branch (or tag), commit and event, so lists and the console group pipeline runs without querying them. */
export function pipelineRunLabels(trigger: PipelineTrigger): Record<string, string> {
  return {
    repository: trigger.repository.replace(/[^a-z0-9._/-]/g, '-').slice(0, 200),
    ...(trigger.branch !== '' ? { branch: trigger.branch.replace(/[^A-Za-z0-9._/-]/g, '-').slice(0, 200) } : {}),
    ...(trigger.tag !== undefined ? { tag: trigger.tag.replace(/[^A-Za-z0-9._/-]/g, '-').slice(0, 200) } : {}),
    commit: trigger.sha.slice(0, 12),
    event: trigger.event,
  };
}

/** The one line the Temporal UI shows for the run: `pipeline web: push acme/web@main 0123456789ab`. */
export function pipelineRunSummary(name: string, trigger: PipelineTrigger): string {
  const ref = trigger.tag !== undefined ? `tag ${trigger.tag}` : trigger.branch;
  return `pipeline ${name}: ${trigger.event} ${trigger.repository}@${ref} ${trigger.sha.slice(0, 12)}`;
}
