/** With Temporal unreachable the API says so (503) instead of failing obscurely, and /healthz still answers. */
import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Pool } from 'pg';
import { createApp } from '../api/app';
import { offlineApiDeps } from './helpers/offline-api-deps';
import { createToken } from '../db/stores/token-store';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/open';
import { createTestDatabase } from './helpers/database';
import { freePort } from './helpers/ports';

let server: Server;
let baseUrl: string;
let connection: Connection;
let db: Pool;
let dropDatabase: () => Promise<void>;
let auth: Record<string, string>;
before(async () => {
  // Tokens and the audit log live in the database, so it must be up for Temporal's absence to show.
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  db = await openDatabase(database.url, createLogger('test-db', 'silent'));
  auth = {
    Authorization: `Bearer ${(await createToken(db, { principal: 'op', role: 'operator', createdBy: 'test' })).secret}`,
  };
  // A port nobody listens on: every RPC fails with UNAVAILABLE.
  connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
  const app = createApp(
    offlineApiDeps({ client: new Client({ connection }), db, nodeClass: 'a', taskQueuePrefix: 'unreachable' }),
    createLogger('api-test', 'silent'),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  await connection.close();
  await db.end();
  await dropDatabase();
});

test('healthz answers, readyz and run routes answer 503 temporal_unavailable', { timeout: 60_000 }, async () => {
  assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
  const ready = await fetch(`${baseUrl}/readyz`);
  assert.equal(ready.status, 503);
  assert.equal(((await ready.json()) as any).error.code, 'temporal_unavailable');
  const start = await fetch(`${baseUrl}/v1/tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...auth },
    body: JSON.stringify({ nodeClass: 'a', command: 'true' }),
  });
  assert.equal(start.status, 503);
  assert.equal(((await start.json()) as any).error.code, 'temporal_unavailable');
  const bad = await fetch(`${baseUrl}/v1/tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...auth },
    body: '{}',
  });
  assert.equal(bad.status, 400, 'validation still comes first');
});
