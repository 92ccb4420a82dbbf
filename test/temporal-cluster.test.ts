/**
 * The Temporal cluster profile's server itself: built from the Go module proxy, its schemas set up by
 * Temporal's SQL tool on the suite's PostgreSQL, runs recorded in PostgreSQL (persistence and SQL
 * visibility with Capstan's search attributes), and a run kept across a kill -9 of the server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { testDatabaseAdminUrl, withAdmin } from './helpers/database';
import { startTestCluster, testClusterBinaries, type TestTemporal } from './helpers/test-temporal';
import { loadConfig } from '../config/env';

test('a Temporal server on PostgreSQL keeps and lists runs across a kill -9', { timeout: 240_000 }, async () => {
  const adminUrl = testDatabaseAdminUrl();
  const binaries = await testClusterBinaries(loadConfig().cacheDir);
  const prefix = `temporal_${randomBytes(4).toString('hex')}`;
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-cluster-'));
  const visibilityUrl = new URL(adminUrl);
  visibilityUrl.pathname = `/${prefix}_visibility`;
  let cluster: TestTemporal | undefined;
  try {
    cluster = await startTestCluster(binaries, adminUrl, scratch, prefix);
    const workflowId = `cluster-${randomBytes(4).toString('hex')}`;
    await withClient(cluster.address, async (client) => {
      // No worker polls this queue: the run stays open, which is what must survive the kill.
      await client.workflow.start('capstanTask', {
        taskQueue: `no-worker-${workflowId}`,
        workflowId,
        args: [],
        searchAttributes: { CapstanKind: ['task'], CapstanNodeClass: ['general'] },
      });
    });
    // SQL visibility writes asynchronously: the row appears in the visibility database shortly after the start.
    const row = await poll(
      () =>
        withAdmin(visibilityUrl.toString(), (c) =>
          c.query<{ status: number; attributes: Record<string, unknown> }>(
            `SELECT status, search_attributes AS attributes FROM executions_visibility WHERE workflow_id = $1`,
            [workflowId],
          ),
        ).then((r) => r.rows[0]),
      'the run in executions_visibility',
    );
    // SQL visibility stores a namespace's custom attributes under fixed columns (Keyword01…), mapped per namespace.
    assert.ok(
      Object.values(row.attributes).includes('task'),
      `CapstanKind is stored: ${JSON.stringify(row.attributes)}`,
    );
    assert.equal(row.status, 1, 'listed as running');

    cluster.process.kill('SIGKILL');
    await new Promise((resolve) => cluster?.process.once('exit', resolve));
    // Started again on the same databases: the schema step finds them up to date and changes nothing.
    cluster = await startTestCluster(binaries, adminUrl, scratch, prefix);
    await withClient(cluster.address, async (client) => {
      const description = await client.workflow.getHandle(workflowId).describe();
      assert.equal(description.status.name, 'RUNNING', 'the run survived the kill');
      const listed: string[] = [];
      for await (const run of client.workflow.list({
        query: `CapstanKind = 'task' AND CapstanNodeClass = 'general' AND WorkflowId = '${workflowId}'`,
      }))
        listed.push(run.workflowId);
      assert.deepEqual(listed, [workflowId], 'a list filter on Capstan attributes finds it');
      await client.workflow.getHandle(workflowId).terminate('test done');
    });
  } finally {
    await cluster?.stop();
    await withAdmin(adminUrl, async (c) => {
      for (const db of [prefix, `${prefix}_visibility`]) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    });
    rmSync(scratch, { recursive: true, force: true });
  }
});

async function withClient(address: string, work: (client: Client) => Promise<void>): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await work(new Client({ connection, namespace: 'default' }));
  } finally {
    await connection.close();
  }
}

/** Resolves with the first value `read` returns that is not undefined; fails naming `what` after 15 s. */
async function poll<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not appear within 15 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
