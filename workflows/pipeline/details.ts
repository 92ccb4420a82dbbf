/** The pipeline run's current details for the Temporal Web UI: which job runs which step where. Pure. */
import type { JobRecord, PipelineRunState } from '../contracts/pipeline-run';

/** Markdown naming the run's status and, per job, what it is doing (the running step, approval, outcome). */
export function describePipeline(state: PipelineRunState): string {
  const head = `**${state.name}** on ${state.trigger.branch} @ ${state.trigger.sha.slice(0, 12)}: ${state.status}`;
  const lines = state.jobs.map((job) => `- ${job.id}: ${describeJob(job)}`);
  return [state.message ? `${head}, ${state.message}` : head, '', ...lines].join('\n');
}

function describeJob(job: JobRecord): string {
  const steps = job.rollback && job.status !== 'running' ? job.rollback.steps : job.steps;
  const current = steps.findIndex((s) => s.status === 'running');
  if (job.status === 'running' && current >= 0) {
    const step = steps[current]!;
    const attempt = (step.attempts ?? 1) > 1 ? `, attempt ${step.attempts}` : '';
    const where = job.worker ? ` (worker ${job.worker})` : '';
    return `running step ${current + 1} of ${steps.length}: ${step.name} on ${job.nodeClass}${where}${attempt}`;
  }
  if (current >= 0) return `${job.status}, rolling back: ${steps[current]!.name}`;
  return job.message && job.status !== 'succeeded' ? `${job.status} (${job.message})` : job.status;
}
