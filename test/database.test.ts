/** Migrations against the suite's real PostgreSQL and against the embedded database: applied once, safe to apply again. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool } from 'pg';
import { startEmbeddedDatabase } from '../db/embedded';
import { migrate, MIGRATIONS_DIR, MigrationError, readMigrations } from '../db/migrate';
import { createTestDatabase } from './helpers/database';
import { freePort } from './helpers/ports';

/** Every table and column, so a second migration run can be shown to change nothing. */
async function schemaOf(pool: Pool): Promise<string> {
  const { rows } = await pool.query(`SELECT table_name, column_name, data_type FROM information_schema.columns
    WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`);
  return JSON.stringify(rows);
}

async function checkTwice(pool: Pool): Promise<void> {
  const first = await migrate(pool);
  assert.deepEqual(
    first,
    readMigrations().map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`),
  );
  const schema = await schemaOf(pool);
  const marks = (await pool.query('SELECT version, applied_at FROM capstan_migrations ORDER BY version')).rows;
  assert.deepEqual(await migrate(pool), [], 'a second run applies nothing');
  assert.equal(await schemaOf(pool), schema, 'a second run changes no table');
  assert.deepEqual(
    (await pool.query('SELECT version, applied_at FROM capstan_migrations ORDER BY version')).rows,
    marks,
  );
  assert.match(schema, /task_attempts/);
  assert.match(schema, /token_sha256/);
}

test(
  'migrations on a real PostgreSQL: applied once, a second run changes nothing, concurrent runs agree',
  { timeout: 60_000 },
  async () => {
    const database = await createTestDatabase();
    const pools = [new Pool({ connectionString: database.url }), new Pool({ connectionString: database.url })];
    try {
      // Two starters at once (the API and a worker): the advisory lock lets one apply and the other see it done.
      const results = await Promise.all(pools.map((p) => migrate(p)));
      assert.equal(
        results.flat().length,
        readMigrations().length,
        'each migration applied exactly once between the two',
      );
      assert.deepEqual(await migrate(pools[0]!), []);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await database.drop();
    }
    const fresh = await createTestDatabase();
    const pool = new Pool({ connectionString: fresh.url });
    try {
      await checkTwice(pool);
    } finally {
      await pool.end();
      await fresh.drop();
    }
  },
);

test('a migration edited after it was applied is refused, naming it', { timeout: 60_000 }, async () => {
  const database = await createTestDatabase();
  const pool = new Pool({ connectionString: database.url });
  const dir = mkdtempSync(join(tmpdir(), 'capstan-migrations-'));
  try {
    await migrate(pool);
    const first = readMigrations()[0]!;
    mkdirSync(dir, { recursive: true });
    for (const m of readMigrations())
      writeFileSync(
        join(dir, `${String(m.version).padStart(4, '0')}_${m.name}.sql`),
        readFileSync(join(MIGRATIONS_DIR, `${String(m.version).padStart(4, '0')}_${m.name}.sql`)),
      );
    writeFileSync(join(dir, `0001_${first.name}.sql`), `${first.sql}\n-- edited\n`);
    await assert.rejects(
      migrate(pool, readMigrations(dir)),
      (err: Error) =>
        err instanceof MigrationError && /migration 1 \(task_attempts\) changed after it was applied/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pool.end();
    await database.drop();
  }
});

test(
  'the embedded database (PGlite) takes the same migrations, and keeps data across a restart',
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-pglite-'));
    const port = await freePort();
    try {
      let embedded = await startEmbeddedDatabase(dir, port);
      let pool = new Pool({ connectionString: embedded.url, max: 4 });
      await checkTwice(pool);
      await pool.query(`INSERT INTO runs (run_id, kind, started_by) VALUES ('r1', 'task', 'tester')`);
      await pool.end();
      await embedded.stop();
      embedded = await startEmbeddedDatabase(dir, port);
      pool = new Pool({ connectionString: embedded.url, max: 4 });
      assert.deepEqual(await migrate(pool), []);
      assert.deepEqual((await pool.query('SELECT run_id, started_by FROM runs')).rows, [
        { run_id: 'r1', started_by: 'tester' },
      ]);
      await pool.end();
      await embedded.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
