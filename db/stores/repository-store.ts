/** The `repositories` table: where a repository's pipelines come from, how its webhooks are verified, where its statuses go. */
import type { Queryable } from '../queryable';

/** The forges whose webhooks and status APIs Capstan speaks. */
export const FORGE_PROVIDERS = ['github', 'gitlab'] as const;
/** One such forge. */
export type ForgeProvider = (typeof FORGE_PROVIDERS)[number];

/** A registered repository as stored, secrets included: only webhook verification and status reports read those. */
export interface RepositoryRecord {
  name: string;
  provider: ForgeProvider;
  cloneUrl: string;
  pipelinePath: string;
  webhookSecret: string;
  statusApiUrl: string | null;
  statusToken: string | null;
  createdAt: Date;
  createdBy: string;
}

/** What registering a repository needs; the pipeline path falls back to the table's default. */
export interface NewRepository {
  name: string;
  provider: ForgeProvider;
  cloneUrl: string;
  pipelinePath?: string;
  webhookSecret: string;
  statusApiUrl?: string;
  statusToken?: string;
  createdBy: string;
}

interface RepositoryRow {
  name: string;
  provider: ForgeProvider;
  clone_url: string;
  pipeline_path: string;
  webhook_secret: string;
  status_api_url: string | null;
  status_token: string | null;
  created_at: Date;
  created_by: string;
}

function fromRow(row: RepositoryRow): RepositoryRecord {
  return {
    name: row.name,
    provider: row.provider,
    cloneUrl: row.clone_url,
    pipelinePath: row.pipeline_path,
    webhookSecret: row.webhook_secret,
    statusApiUrl: row.status_api_url,
    statusToken: row.status_token,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

/**
 * Registers a repository; undefined when one of that name exists already. Names compare without
 * case, as GitHub and GitLab compare them, so `Acme/Web` cannot be registered beside `acme/web`.
 */
export async function createRepository(db: Queryable, repo: NewRepository): Promise<RepositoryRecord | undefined> {
  const { rows } = await db.query<RepositoryRow>(
    `INSERT INTO repositories (name, provider, clone_url, pipeline_path, webhook_secret, status_api_url, status_token, created_by)
     SELECT $1, $2, $3, COALESCE($4, '.capstan/pipeline.yaml'), $5, $6, $7, $8
     WHERE NOT EXISTS (SELECT 1 FROM repositories WHERE lower(name) = lower($1))
     ON CONFLICT (name) DO NOTHING RETURNING *`,
    [
      repo.name,
      repo.provider,
      repo.cloneUrl,
      repo.pipelinePath ?? null,
      repo.webhookSecret,
      repo.statusApiUrl ?? null,
      repo.statusToken ?? null,
      repo.createdBy,
    ],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** The repository of that name (without regard to case, the exact spelling first); undefined when none is registered. */
export async function findRepository(db: Queryable, name: string): Promise<RepositoryRecord | undefined> {
  const { rows } = await db.query<RepositoryRow>(
    'SELECT * FROM repositories WHERE lower(name) = lower($1) ORDER BY (name = $1) DESC LIMIT 1',
    [name],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Every registered repository, by name. */
export async function listRepositories(db: Queryable): Promise<RepositoryRecord[]> {
  const { rows } = await db.query<RepositoryRow>('SELECT * FROM repositories ORDER BY name');
  return rows.map(fromRow);
}

/** Removes a repository; the removed record, or undefined when none had that name. */
export async function deleteRepository(db: Queryable, name: string): Promise<RepositoryRecord | undefined> {
  const found = await findRepository(db, name);
  if (!found) return undefined;
  const { rows } = await db.query<RepositoryRow>('DELETE FROM repositories WHERE name = $1 RETURNING *', [found.name]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** A repository as the API shows it: whether a secret or token is set, never the value. */
export function repositoryView(repo: RepositoryRecord): Record<string, unknown> {
  return {
    name: repo.name,
    provider: repo.provider,
    cloneUrl: withoutPassword(repo.cloneUrl),
    pipelinePath: repo.pipelinePath,
    webhookSecretSet: repo.webhookSecret !== '',
    statusApiUrl: repo.statusApiUrl,
    statusTokenSet: repo.statusToken !== null && repo.statusToken !== '',
    createdAt: repo.createdAt.toISOString(),
    createdBy: repo.createdBy,
  };
}

/** A clone URL may carry a credential (`https://user:token@host/…`); listings show that one is there, not what it is. */
function withoutPassword(cloneUrl: string): string {
  try {
    const url = new URL(cloneUrl);
    if (!url.password) return cloneUrl;
    url.password = '***';
    return url.toString();
  } catch {
    // A local path or an scp-like address (git@host:repo) holds no password.
    return cloneUrl;
  }
}
