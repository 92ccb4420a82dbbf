/** The first admin token at API start, against a real PostgreSQL database: made once, or the configured one stored. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { after, beforeEach, test } from 'node:test';
import { ensureAdminToken } from '../db/stores/bootstrap-admin';
import { findTokenBySecret, listTokens, revokeToken } from '../db/stores/token-store';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/open';
import { createTestDatabase } from './helpers/database';

let db: Pool | undefined;
let drop: (() => Promise<void>) | undefined;
const cleanUp = async (): Promise<void> => {
  await db?.end();
  await drop?.();
};
beforeEach(async () => {
  await cleanUp();
  const database = await createTestDatabase();
  drop = database.drop;
  db = await openDatabase(database.url, createLogger('test-db', 'silent'));
});
after(cleanUp);

test('without a configured token, the first start makes one admin token and later starts make none', async () => {
  const first = await ensureAdminToken(db!);
  assert.equal(first.action, 'created');
  assert.match(first.secret ?? '', /^cap_[\w-]{43}$/);
  const token = await findTokenBySecret(db!, first.secret!);
  assert.deepEqual([token?.principal, token?.role], ['admin', 'admin']);
  assert.deepEqual(await ensureAdminToken(db!), { action: 'admin-present' });
  assert.equal((await listTokens(db!)).length, 1);
});

test('API processes starting together make exactly one admin token', async () => {
  const results = await Promise.all([ensureAdminToken(db!), ensureAdminToken(db!), ensureAdminToken(db!)]);
  assert.equal(results.filter((r) => r.action === 'created').length, 1);
  assert.equal((await listTokens(db!)).length, 1);
});

test('when every admin token is revoked, the next start makes a new one', async () => {
  const first = await ensureAdminToken(db!);
  await revokeToken(db!, (await findTokenBySecret(db!, first.secret!))!.id);
  const second = await ensureAdminToken(db!);
  assert.equal(second.action, 'created');
  assert.notEqual(second.secret, first.secret);
});

test('CAPSTAN_ADMIN_TOKEN is stored as an admin token (its hash only), once; revoked, it stays revoked', async () => {
  const configured = 'a-configured-admin-token-of-at-least-32-characters';
  assert.deepEqual(await ensureAdminToken(db!, configured), { action: 'stored-configured' });
  assert.deepEqual(await ensureAdminToken(db!, configured), { action: 'configured-present' });
  const token = await findTokenBySecret(db!, configured);
  assert.deepEqual([token?.principal, token?.role, token?.createdBy], ['admin', 'admin', 'CAPSTAN_ADMIN_TOKEN']);
  const { rows } = await db!.query('SELECT token_sha256 FROM api_tokens');
  assert.deepEqual(rows, [{ token_sha256: createHash('sha256').update(configured).digest() }]);
  await revokeToken(db!, token!.id);
  const again = await ensureAdminToken(db!, configured);
  assert.equal(again.action, 'configured-present');
  assert.match(again.warning ?? '', /revoked; it stays revoked/);
  assert.equal((await findTokenBySecret(db!, configured))?.revokedAt !== null, true);
  assert.equal(again.secret, undefined, 'a configured token is never printed');
});
