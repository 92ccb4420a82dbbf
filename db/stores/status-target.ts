/** Where a registered repository's commit statuses go, read from the `repositories` table. */
import type { Pool } from 'pg';
import type { StatusTarget } from '../../activities/forge/status-request';

/** What the forge activities query: a pool, or anything with its `query`. */
export type ForgeDb = Pick<Pool, 'query'>;

/** The repository's status target and registered name, or why its statuses cannot be reported. */
export type StatusTargetLookup = { target: StatusTarget; name: string } | { reason: string };

interface TargetRow {
  name: string;
  provider: 'github' | 'gitlab';
  status_api_url: string | null;
  status_token: string | null;
}

/** Looks the repository up (without regard to case, as the API does); a missing URL or token is a reason, not an error. */
export async function findStatusTarget(db: ForgeDb, repository: string): Promise<StatusTargetLookup> {
  const { rows } = await db.query<TargetRow>(
    'SELECT name, provider, status_api_url, status_token FROM repositories WHERE lower(name) = lower($1) ORDER BY (name = $1) DESC LIMIT 1',
    [repository],
  );
  const row = rows[0];
  if (!row) return { reason: `repository "${repository}" is not registered` };
  if (!row.status_api_url) return { reason: `repository "${row.name}" has no status_api_url` };
  if (!row.status_token) return { reason: `repository "${row.name}" has no status_token` };
  return { name: row.name, target: { provider: row.provider, apiUrl: row.status_api_url, token: row.status_token } };
}
