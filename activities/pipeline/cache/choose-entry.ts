/** Which saved cache entry a restore takes, in GitHub's order. Pure, so it is tested without a database. */

/** What the choice needs of an entry. */
export interface CacheCandidate {
  branch: string;
  key: string;
  createdAt: Date;
}

/** The entry a restore takes, and whether it is an exact hit of the primary key. */
export interface CacheChoice<E> {
  entry: E;
  exact: boolean;
}

/**
 * GitHub's order: in each scope (the run's branch, then the default branch), the entry whose key is `key`;
 * else, for `key` and then each restore key in turn, the newest entry whose key starts with it. An exact hit
 * in the default branch beats a prefix match in the run's branch only when the run's branch has no match at all.
 */
export function chooseCacheEntry<E extends CacheCandidate>(
  entries: readonly E[],
  branches: readonly string[],
  key: string,
  restoreKeys: readonly string[],
): CacheChoice<E> | undefined {
  const newestFirst = [...entries].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  for (const branch of branches) {
    const inScope = newestFirst.filter((e) => e.branch === branch);
    const exact = inScope.find((e) => e.key === key);
    if (exact) return { entry: exact, exact: true };
    for (const prefix of [key, ...restoreKeys]) {
      const match = inScope.find((e) => e.key.startsWith(prefix));
      if (match) return { entry: match, exact: false };
    }
  }
  return undefined;
}

/** The branches a run reads caches from: its own, then the repository's default branch (GitHub's scoping). */
export function cacheScopes(branch: string, defaultBranch: string | undefined): string[] {
  return defaultBranch === undefined || defaultBranch === branch ? [branch] : [branch, defaultBranch];
}
