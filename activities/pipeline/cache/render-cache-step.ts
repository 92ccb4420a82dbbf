/**
 * A cache step's key, restore-keys and paths rendered on the worker: its templates read earlier steps and
 * needed jobs like any step's, and may call hashFiles(), which needs the workspace that only this worker holds.
 */
import type { PipelineCacheStep } from '../../../workflows/contracts/pipeline-spec';
import { mapStepTexts } from '../../../workflows/pipeline/render-step';
import { renderPipelineTemplate, type TemplateScope } from '../../../workflows/pipeline/templates';
import { hashFiles } from './hash-files';

/** What a cache step saves and restores, once rendered. */
export interface RenderedCache {
  key: string;
  restoreKeys: string[];
  paths: string[];
}

/** Longest key, as on GitHub. */
export const MAX_CACHE_KEY_LENGTH = 512;

/** A rendered key that cannot be used. */
export class CacheKeyError extends Error {}

/** Renders the step's fields against `scope`, computing hashFiles() over `workspace`. */
export async function renderCacheStep(
  step: PipelineCacheStep,
  scope: TemplateScope,
  workspace: string,
): Promise<RenderedCache> {
  // The expression language is synchronous: a first pass collects the patterns, then their hashes are computed.
  const wanted = new Map<string, string[]>();
  mapStepTexts(step, (text) =>
    renderPipelineTemplate(text, scope, (patterns) => {
      wanted.set(JSON.stringify(patterns), patterns);
      return '';
    }),
  );
  const hashes = new Map<string, string>();
  for (const [id, patterns] of wanted) hashes.set(id, await hashFiles(workspace, patterns));
  const rendered = mapStepTexts(step, (text) =>
    renderPipelineTemplate(text, scope, (patterns) => hashes.get(JSON.stringify(patterns)) ?? ''),
  );
  const { key, path } = rendered.cache;
  checkKey(key, 'key');
  rendered.cache['restore-keys'].forEach((prefix, i) => checkKey(prefix, `restore-keys[${i}]`));
  return {
    key,
    restoreKeys: rendered.cache['restore-keys'].filter((prefix) => prefix !== ''),
    paths: typeof path === 'string' ? [path] : path,
  };
}

function checkKey(key: string, field: string): void {
  if (field === 'key' && key.trim() === '') throw new CacheKeyError('cache.key rendered as an empty key');
  if (key.length > MAX_CACHE_KEY_LENGTH)
    throw new CacheKeyError(`cache.${field} is ${key.length} characters once rendered, over ${MAX_CACHE_KEY_LENGTH}`);
  if (key.includes(','))
    throw new CacheKeyError(`cache.${field} "${key}" holds a comma, which keys may not (as on GitHub)`);
}
