/** Applies the SQL migrations in db/migrations in order, each once, under a lock so that concurrent starters agree. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { REPO_ROOT } from '../config/paths';

/** Where the migrations live: plain SQL files named `NNNN_what.sql`, never edited once released. */
export const MIGRATIONS_DIR = join(REPO_ROOT, 'db', 'migrations');

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** A migration that was applied and has changed since, or a file whose name breaks the pattern. */
export class MigrationError extends Error {}

/** Reads the migrations of `dir`, ordered by version. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new MigrationError(`${join(dir, file)}: migration files are named NNNN_lowercase_name.sql`);
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(
        `${dir}: migration versions must run 1, 2, 3, …; found ${m.version} at position ${i + 1}`,
      );
  });
  return migrations;
}

/** Applies the migrations not yet applied, in one transaction; returns the names it applied (none on a second call). */
export async function migrate(pool: Pool, migrations = readMigrations()): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // A transaction-scoped lock: released by COMMIT or ROLLBACK even if this process dies.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('capstan.migrations'))");
    await client.query(`CREATE TABLE IF NOT EXISTS capstan_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM capstan_migrations',
    );
    const applied = new Map(rows.map((r) => [r.version, r]));
    const done: string[] = [];
    for (const m of migrations) {
      const before = applied.get(m.version);
      if (before) {
        if (before.checksum !== m.checksum) {
          throw new MigrationError(
            `migration ${m.version} (${m.name}) changed after it was applied; add a new migration instead of editing it`,
          );
        }
        continue;
      }
      await client.query(m.sql);
      await client.query('INSERT INTO capstan_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ]);
      done.push(`${String(m.version).padStart(4, '0')}_${m.name}`);
    }
    await client.query('COMMIT');
    return done;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
