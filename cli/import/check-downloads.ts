/** Downloads of artifacts that no converted job uploads (their upload was dropped, or came from a reusable workflow) are dropped too. */
import type { ImportContext } from './convert-context';
import { placeholderStep } from './convert-jobs';

/** Removes, and reports, every download step whose artifact no job of `jobs` uploads. */
export function dropOrphanDownloads(ctx: ImportContext, jobs: Record<string, Record<string, unknown>>): void {
  const uploaded = new Set<string>();
  for (const job of Object.values(jobs))
    for (const step of job.steps as Array<Record<string, { name?: string }>>)
      if (step['upload-artifact']?.name) uploaded.add(step['upload-artifact'].name);
  for (const [id, job] of Object.entries(jobs)) {
    const steps = job.steps as Array<Record<string, { name?: string }>>;
    for (let i = steps.length - 1; i >= 0; i--) {
      const name = steps[i]!['download-artifact']?.name;
      if (name === undefined || uploaded.has(name)) continue;
      const source = ctx.stepSources.get(steps[i]!);
      steps.splice(i, 1);
      ctx.report.shiftAnchors(['jobs', id, 'steps'], i);
      if (source)
        ctx.report.drop(
          source,
          `no converted job uploads artifact "${name}" (its upload was not converted, or is in another workflow)`,
          ['jobs', id, 'steps', i],
          [...source, 'uses'],
        );
    }
    if (steps.length === 0) steps.push(placeholderStep(ctx, id) as Record<string, { name?: string }>);
  }
}
