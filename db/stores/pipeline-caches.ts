/** Dependency cache entries of pipeline jobs: what is saved where, for lookups and least-recently-used eviction. */
import type { Pool } from 'pg';

/** One saved cache entry; its archive is in the artifact store under `storeKey`. */
export interface CacheEntry {
  id: string;
  repository: string;
  branch: string;
  key: string;
  version: string;
  storeKey: string;
  bytes: number;
  createdAt: Date;
  lastUsedAt: Date;
}

/** Which entries a restore may read: one repository, some branches, one version, keys equal to or starting with some texts. */
export interface CacheQuery {
  repository: string;
  branches: string[];
  version: string;
  /** The primary key and the restore-keys; each matches exactly or as a prefix. */
  keys: string[];
}

/** Most candidates one lookup reads; the newest come first, so older ones lose nothing a restore would pick. */
const MAX_CANDIDATES = 500;

/** Entries a restore may choose from, newest first. */
export async function cacheCandidates(db: Pool, query: CacheQuery): Promise<CacheEntry[]> {
  const { rows } = await db.query<CacheRow>(
    `SELECT * FROM pipeline_caches
     WHERE repository = $1 AND branch = ANY($2::text[]) AND version = $3
       AND EXISTS (SELECT 1 FROM unnest($4::text[]) AS k(prefix) WHERE starts_with(cache_key, k.prefix))
     ORDER BY created_at DESC, id DESC LIMIT ${MAX_CANDIDATES}`,
    [query.repository, query.branches, query.version, query.keys],
  );
  return rows.map(toEntry);
}

/** Marks an entry used now, so eviction keeps it longer. */
export async function touchCacheEntry(db: Pool, id: string): Promise<void> {
  await db.query('UPDATE pipeline_caches SET last_used_at = now() WHERE id = $1', [id]);
}

/** Whether the scope already has an entry with this key and version (entries are immutable). */
export async function cacheEntryExists(
  db: Pool,
  entry: Pick<CacheEntry, 'repository' | 'branch' | 'key' | 'version'>,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM pipeline_caches WHERE repository = $1 AND branch = $2 AND cache_key = $3 AND version = $4',
    [entry.repository, entry.branch, entry.key, entry.version],
  );
  return (rowCount ?? 0) > 0;
}

/** What saving an entry records. */
export interface NewCacheEntry {
  repository: string;
  branch: string;
  key: string;
  version: string;
  storeKey: string;
  bytes: number;
  runId: string;
  jobId: string;
}

/** Records a stored entry; false when another job recorded the same key first (its archive is then the one kept). */
export async function insertCacheEntry(db: Pool, entry: NewCacheEntry): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO pipeline_caches (repository, branch, cache_key, version, store_key, bytes, run_id, job_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (repository, branch, cache_key, version) DO NOTHING`,
    [entry.repository, entry.branch, entry.key, entry.version, entry.storeKey, entry.bytes, entry.runId, entry.jobId],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Removes the repository's least recently used entries until the rest fit in `maxBytes`, and returns them (their
 * archives are the caller's to delete). One evictor per repository at a time, so two savers never double count.
 */
export async function evictCacheEntries(db: Pool, repository: string, maxBytes: number): Promise<CacheEntry[]> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('capstan.pipeline_caches'), hashtext($1))", [repository]);
    const { rows } = await client.query<CacheRow>(
      `DELETE FROM pipeline_caches WHERE id IN (
         SELECT id FROM (
           SELECT id, sum(bytes) OVER (ORDER BY last_used_at DESC, id DESC) AS kept
           FROM pipeline_caches WHERE repository = $1
         ) ranked WHERE kept > $2
       ) RETURNING *`,
      [repository, maxBytes],
    );
    await client.query('COMMIT');
    return rows.map(toEntry);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Bytes and entries a repository's caches hold. */
export async function cacheUsage(db: Pool, repository: string): Promise<{ bytes: number; entries: number }> {
  const { rows } = await db.query<{ bytes: string | null; entries: string }>(
    'SELECT sum(bytes) AS bytes, count(*) AS entries FROM pipeline_caches WHERE repository = $1',
    [repository],
  );
  return { bytes: Number(rows[0]?.bytes ?? 0), entries: Number(rows[0]?.entries ?? 0) };
}

/** A `pipeline_caches` row as `pg` returns it. */
interface CacheRow {
  id: string;
  repository: string;
  branch: string;
  cache_key: string;
  version: string;
  store_key: string;
  bytes: string;
  created_at: Date;
  last_used_at: Date;
}

function toEntry(row: CacheRow): CacheEntry {
  return {
    id: String(row.id),
    repository: row.repository,
    branch: row.branch,
    key: row.cache_key,
    version: row.version,
    storeKey: row.store_key,
    bytes: Number(row.bytes),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
