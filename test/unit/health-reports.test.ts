/** A worker's health reports survive a database that does not answer: each failure is logged, the next interval tries again. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { Pool } from 'pg';
import { startHealthReports } from '../../workers/health-reports';
import { readMachineFigures } from '../../workers/machine-figures';

test('with the database unreachable, start resolves, reports keep being tried and logged, and stop resolves', async () => {
  const lines: Array<{ msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  // Nothing listens on port 1: every query fails at once with ECONNREFUSED.
  const db = new Pool({ connectionString: 'postgres://capstan@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
  const dir = mkdtempSync(join(tmpdir(), 'capstan-health-'));
  try {
    const reports = await startHealthReports({
      db,
      logger: pino({ level: 'warn' }, sink),
      identity: 'test/a/1',
      nodeClass: 'a',
      host: 'h',
      version: '0',
      intervalMs: 50,
      retentionHours: 0,
      slots: 1,
      workspaceDir: join(dir, 'workspaces'),
      runningAttempts: () => 0,
    });
    const deadline = Date.now() + 10_000;
    while (lines.filter((l) => l.msg.includes('health report failed')).length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(lines.filter((l) => l.msg.includes('health report failed')).length >= 3, JSON.stringify(lines));
    await reports.stop();
    assert.ok(lines.some((l) => l.msg.includes('could not mark the worker stopped')));
  } finally {
    await db.end();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the figures are whole, positive where they must be, and the workspace is created for them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-health-'));
  try {
    const figures = await readMachineFigures(join(dir, 'not', 'yet'));
    assert.ok(figures.cpus >= 1);
    assert.ok(figures.memoryAvailableBytes > 0 && figures.memoryAvailableBytes <= figures.memoryTotalBytes);
    assert.ok(figures.diskFreeBytes >= 0 && figures.diskFreeBytes <= figures.diskTotalBytes);
    assert.ok(Number.isSafeInteger(figures.diskTotalBytes));
    assert.equal(figures.diskPath, join(dir, 'not', 'yet'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
