/**
 * A dev server database made before Capstan added a search attribute: `start-dev --search-attribute`
 * registers attributes only when it creates the database, so Capstan's start adds the missing ones
 * (without them, every run that sets one would be refused).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { startDevServer, waitForFrontend } from '../cli/dev-server';
import { stopChild } from '../cli/stop-child';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { freePort } from './helpers/ports';

const dir = mkdtempSync(join(tmpdir(), 'capstan-sa-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('starting on an older database registers the search attributes it lacks', { timeout: 120_000 }, async () => {
  const binary = process.env.CAPSTAN_TEST_TEMPORAL_BIN;
  assert.ok(binary, 'the test runner sets CAPSTAN_TEST_TEMPORAL_BIN');
  const port = await freePort();
  const dbFile = join(dir, 'dev-server.db');
  // The database as an older Capstan left it: only CapstanKind.
  const old = spawn(
    binary,
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--db-filename',
      dbFile,
      '--namespace',
      'default',
      '--log-level',
      'error',
      '--search-attribute',
      'CapstanKind=Keyword',
    ],
    { stdio: 'ignore' },
  );
  await waitForFrontend(`127.0.0.1:${port}`, 'default', 60_000);
  await stopChild(old, 10_000);

  const server = await startDevServer({
    binary,
    ip: '127.0.0.1',
    port,
    dbFile,
    namespace: 'default',
    logFile: join(dir, 'dev-server.log'),
  });
  try {
    const connection = await Connection.connect({ address: server.address });
    try {
      const known = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const name of Object.keys(REQUIRED_SEARCH_ATTRIBUTES))
        assert.ok(known.customAttributes?.[name] !== undefined, `${name} is registered`);
    } finally {
      await connection.close();
    }
  } finally {
    await server.stop();
  }
});
