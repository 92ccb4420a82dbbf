/** With Temporal unreachable the API says so (503) instead of failing obscurely, and /healthz still answers. */
import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createApp } from '../api/app';
import { createLogger } from '../config/logger';
import { createPool } from '../db/pool';
import { freePort } from './helpers/ports';

let server: Server;
let baseUrl: string;
let connection: Connection;
before(async () => {
  // A port nobody listens on: every RPC fails with UNAVAILABLE.
  connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
  const app = createApp({
    // The database is never reached by these routes; a pool to a closed port proves it.
    client: new Client({ connection }), db: createPool(`postgres://postgres@127.0.0.1:${await freePort()}/x`, () => undefined), namespace: 'default', taskQueuePrefix: 'unreachable',
    nodeClasses: [{ name: 'a', concurrency: 1, pricePerHour: 0, labels: {} }],
    taskPolicy: { heartbeatTimeoutSeconds: 5, infraMaxAttempts: 1 }, pollerLivenessSeconds: 75, maxBodyBytes: 65_536,
    maxDagBodyBytes: 65_536, dagLimits: { maxExpandedTasks: 100, maxMatrixBranches: 10 }, dagPolicy: { continueAsNewAfterEvents: 10_000 },
    outputStoreDir: '/nonexistent/capstan-outputs',
  }, createLogger('api-test', 'silent'));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  await connection.close();
});

test('healthz answers, readyz and run routes answer 503 temporal_unavailable', { timeout: 60_000 }, async () => {
  assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
  const ready = await fetch(`${baseUrl}/readyz`);
  assert.equal(ready.status, 503);
  assert.equal(((await ready.json()) as any).error.code, 'temporal_unavailable');
  const start = await fetch(`${baseUrl}/v1/tasks`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ nodeClass: 'a', command: 'true' }),
  });
  assert.equal(start.status, 503);
  assert.equal(((await start.json()) as any).error.code, 'temporal_unavailable');
  const bad = await fetch(`${baseUrl}/v1/tasks`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(bad.status, 400, 'validation still comes first');
});
