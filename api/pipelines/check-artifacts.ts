/**
 * Checks a pipeline's artifacts: each name is uploaded once per run, and a job downloads only what
 * a job upstream of it uploaded, since only a finished upstream job's uploads are sure to exist. Pure.
 */
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { upstreamOf } from './check-needs';
import type { PathIssue } from './pipeline-issue';

interface Upload {
  job: string;
  step: number;
}

/** Every duplicate upload and every download that no upstream job provides, at the artifact's name. */
export function artifactIssues(jobs: PipelineSpec['jobs']): PathIssue[] {
  const issues: PathIssue[] = [];
  const uploads = new Map<string, Upload>();
  for (const [job, spec] of Object.entries(jobs)) {
    spec.steps.forEach((step, index) => {
      if (!('upload-artifact' in step)) return;
      const name = step['upload-artifact'].name;
      const first = uploads.get(name);
      const path = ['jobs', job, 'steps', index, 'upload-artifact', 'name'];
      if (first)
        issues.push({
          path,
          message: `artifact "${name}" is already uploaded by jobs.${first.job}.steps[${first.step}]; artifact names must be unique in a run`,
        });
      else uploads.set(name, { job, step: index });
    });
  }
  for (const [job, spec] of Object.entries(jobs)) {
    spec.steps.forEach((step, index) => {
      if (!('download-artifact' in step)) return;
      const name = step['download-artifact'].name;
      const message = downloadProblem(jobs, job, name, uploads.get(name));
      if (message) issues.push({ path: ['jobs', job, 'steps', index, 'download-artifact', 'name'], message });
    });
  }
  return issues;
}

function downloadProblem(
  jobs: PipelineSpec['jobs'],
  job: string,
  name: string,
  upload: Upload | undefined,
): string | undefined {
  if (!upload) return `no job uploads artifact "${name}"`;
  if (upload.job === job) {
    return `artifact "${name}" is uploaded by this job (steps[${upload.step}]); its files are already in the job's workspace`;
  }
  if (upstreamOf(jobs, job).has(upload.job)) return undefined;
  return `artifact "${name}" is uploaded by job "${upload.job}", which is not upstream of "${job}"; add "${upload.job}" to needs`;
}
