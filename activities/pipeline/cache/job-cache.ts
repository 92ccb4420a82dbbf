/**
 * Restoring and saving dependency caches: archives in the artifact store (a directory or a bucket), entries in
 * PostgreSQL, so a lookup or an eviction reads rows and never lists the store.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Pool } from 'pg';
import {
  ArtifactMissingError,
  ArtifactTooLargeError,
  type ArtifactStore,
} from '../../../config/artifacts/artifact-store';
import {
  cacheCandidates,
  cacheEntryExists,
  evictCacheEntries,
  insertCacheEntry,
  touchCacheEntry,
} from '../../../db/stores/pipeline-caches';
import { archiveCompression, cacheVersion, existingPaths, packArchive, unpackArchive } from './cache-archive';
import { cacheScopes, chooseCacheEntry } from './choose-entry';

/** Where caches are kept and how large they may grow. */
export interface CacheDeps {
  db: Pool;
  store: ArtifactStore;
  /** Largest archive of one entry (CAPSTAN_CACHE_MAX_BYTES). */
  maxEntryBytes: number;
  /** Largest total of one repository's entries; past it the least recently used go (CAPSTAN_CACHE_REPOSITORY_MAX_BYTES). */
  maxRepositoryBytes: number;
}

/** Whose caches: a repository's, on the run's branch and (read only) its default branch. */
export interface CacheScope {
  repository: string;
  branch: string;
  defaultBranch?: string;
}

/** Where a cache step writes what it did. */
export type CacheLog = (line: string) => void;

/** What a restore found. */
export interface CacheRestore {
  /** True only when the primary key itself was found (GitHub's `cache-hit`). */
  hit: boolean;
  /** The key of the entry restored, exact or by prefix. */
  matchedKey?: string;
  bytes?: number;
}

/** Restores the entry for `key` (else the newest matching a restore key) into `workspace`. */
export async function restoreCache(
  deps: CacheDeps,
  scope: CacheScope,
  cache: { key: string; restoreKeys: string[]; paths: string[] },
  workspace: string,
  log: CacheLog,
): Promise<CacheRestore> {
  const how = await archiveCompression();
  const branches = cacheScopes(scope.branch, scope.defaultBranch);
  const candidates = await cacheCandidates(deps.db, {
    repository: scope.repository,
    branches,
    version: cacheVersion(cache.paths, how),
    keys: [cache.key, ...cache.restoreKeys],
  });
  const choice = chooseCacheEntry(candidates, branches, cache.key, cache.restoreKeys);
  if (!choice) {
    log(`no cache for key "${cache.key}"${restoreKeysText(cache.restoreKeys)} on ${branches.join(' or ')}`);
    return { hit: false };
  }
  const { entry } = choice;
  const file = stagingFile(workspace, 'restore');
  try {
    const bytes = await deps.store.get(entry.storeKey, file, deps.maxEntryBytes);
    await unpackArchive(file, workspace, how);
    await touchCacheEntry(deps.db, entry.id);
    log(
      `restored cache "${entry.key}" (${bytes} bytes, saved on ${entry.branch}) ${choice.exact ? 'for its exact key' : 'by prefix'}`,
    );
    return { hit: choice.exact, matchedKey: entry.key, bytes };
  } catch (err) {
    // An entry evicted between the lookup and the read, or one that a lowered limit now refuses, is a miss, not a failure.
    if (!(err instanceof ArtifactMissingError) && !(err instanceof ArtifactTooLargeError)) throw err;
    log(`cache "${entry.key}" could not be read (${err.message}); continuing without it`);
    return { hit: false };
  } finally {
    await rm(file, { force: true });
  }
}

/** What a save did. */
export interface CacheSave {
  saved: boolean;
  bytes?: number;
  /** Entries of the repository evicted to make room. */
  evicted: number;
  message: string;
}

/** Saves `paths` of `workspace` as the entry `key` of the run's branch, then evicts past the repository's limit. */
export async function saveCache(
  deps: CacheDeps,
  scope: CacheScope,
  cache: { key: string; paths: string[] },
  workspace: string,
  owner: { runId: string; jobId: string },
  log: CacheLog,
): Promise<CacheSave> {
  const how = await archiveCompression();
  const version = cacheVersion(cache.paths, how);
  const ref = { repository: scope.repository, branch: scope.branch, key: cache.key, version };
  const skip = (message: string): CacheSave => {
    log(message);
    return { saved: false, evicted: 0, message };
  };
  if (await cacheEntryExists(deps.db, ref))
    return skip(`cache "${cache.key}" already exists on ${scope.branch}; entries are not replaced`);
  const paths = await existingPaths(workspace, cache.paths);
  if (paths.length === 0)
    return skip(`cache "${cache.key}" not saved: none of ${cache.paths.join(', ')} exists in the workspace`);
  const file = stagingFile(workspace, 'save');
  try {
    const bytes = await packArchive(workspace, paths, file, how);
    const limit = Math.min(deps.maxEntryBytes, deps.maxRepositoryBytes);
    if (bytes > limit) {
      const variable = limit === deps.maxEntryBytes ? 'CAPSTAN_CACHE_MAX_BYTES' : 'CAPSTAN_CACHE_REPOSITORY_MAX_BYTES';
      return skip(`cache "${cache.key}" not saved: ${bytes} bytes, over the ${limit}-byte limit (${variable})`);
    }
    const storeKey = `_caches/${digest(scope.repository).slice(0, 16)}/${randomBytes(12).toString('hex')}.tar.${how === 'zstd' ? 'zst' : 'gz'}`;
    await deps.store.put(storeKey, file);
    if (!(await insertCacheEntry(deps.db, { ...ref, storeKey, bytes, ...owner }))) {
      await deps.store.delete(storeKey);
      return skip(`cache "${cache.key}" was saved by another job meanwhile; keeping that one`);
    }
    const evicted = await evictCacheEntries(deps.db, scope.repository, deps.maxRepositoryBytes);
    for (const old of evicted) await deps.store.delete(old.storeKey);
    const message = `saved cache "${cache.key}" (${bytes} bytes)${evicted.length > 0 ? `; evicted ${evicted.length} least recently used (${evicted.map((e) => `"${e.key}"`).join(', ')})` : ''}`;
    log(message);
    return { saved: true, bytes, evicted: evicted.length, message };
  } finally {
    await rm(file, { force: true });
  }
}

function restoreKeysText(restoreKeys: string[]): string {
  return restoreKeys.length > 0 ? ` or prefixes ${restoreKeys.map((k) => `"${k}"`).join(', ')}` : '';
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Beside the workspace, not in it, so the archive never packs itself; the same disk, so space is planned for it. */
function stagingFile(workspace: string, what: string): string {
  return join(dirname(workspace), `.${basename(workspace)}.cache-${what}.${randomBytes(4).toString('hex')}.tar`);
}
