/** The cache step on the worker: render its key, restore an entry; and, after the job's last step, save one. */
import { isAbsolute, relative, resolve } from 'node:path';
import type { PipelineTrigger } from '../../../workflows/contracts/pipeline-run';
import type { StepLog } from '../step-log';
import { StepInputError } from '../step-references';
import { defaultBranchOf } from './default-branch';
import { restoreCache, saveCache, type CacheDeps, type CacheSave } from './job-cache';
import type { RenderedCache } from './render-cache-step';

/** What a cache step reports to the workflow: its outputs, and what to save if the job succeeds. */
export interface CacheStepResult {
  outputs: Record<string, string>;
  tail: string;
  cache: RenderedCache & { hit: boolean };
}

/** Restores the rendered cache into `workspace`; outputs `cache-hit`, `cache-primary-key` and `cache-matched-key`. */
export async function runCacheStep(
  deps: CacheDeps | undefined,
  cache: RenderedCache,
  trigger: PipelineTrigger,
  workspace: string,
  log: StepLog,
): Promise<CacheStepResult> {
  if (!deps) throw new StepInputError('cache steps need the database this worker was started without');
  checkPaths(cache.paths, workspace);
  const scope = {
    repository: trigger.repository,
    branch: trigger.branch,
    defaultBranch: await defaultBranchOf(trigger.cloneUrl),
  };
  const restored = await restoreCache(deps, scope, cache, workspace, (line) => log.write(`${line}\n`));
  return {
    outputs: {
      'cache-hit': String(restored.hit),
      'cache-primary-key': cache.key,
      'cache-matched-key': restored.matchedKey ?? '',
    },
    tail: restored.matchedKey
      ? `restored "${restored.matchedKey}"${restored.hit ? '' : ` for key "${cache.key}"`}`
      : `no cache for "${cache.key}"`,
    cache: { ...cache, hit: restored.hit },
  };
}

/** Input of `saveJobCache`: what the cache step rendered, saved once the job has succeeded. */
export interface SaveCacheInput {
  runId: string;
  jobId: string;
  /** Log name of the save: `post-<step index>`. */
  logName: string;
  trigger: PipelineTrigger;
  key: string;
  paths: string[];
}

/** Saves the entry; never throws for a cache that cannot be kept (too large, paths missing): the job already succeeded. */
export async function saveJobCache(
  deps: CacheDeps | undefined,
  input: SaveCacheInput,
  workspace: string,
  log: StepLog,
): Promise<CacheSave> {
  if (!deps) return { saved: false, evicted: 0, message: 'not saved: this worker has no database for caches' };
  checkPaths(input.paths, workspace);
  return saveCache(
    deps,
    { repository: input.trigger.repository, branch: input.trigger.branch },
    { key: input.key, paths: input.paths },
    workspace,
    { runId: input.runId, jobId: input.jobId },
    (line) => log.write(`${line}\n`),
  );
}

/** A rendered path must stay inside the workspace: templates can make it anything. */
function checkPaths(paths: string[], workspace: string): void {
  for (const path of paths) {
    const inside = relative(workspace, resolve(workspace, path));
    if (isAbsolute(path) || inside === '' || inside === '..' || inside.startsWith('../') || isAbsolute(inside))
      throw new StepInputError(`cache.path "${path}" leads outside the job workspace (or is the workspace itself)`);
  }
}
