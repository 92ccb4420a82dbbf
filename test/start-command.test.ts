/**
 * The start command end to end: its own dev server, workers and API; a task over HTTP; the run in
 * `temporal workflow list` and the Web UI; Ctrl-C; and a second start that still has the run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Pool } from 'pg';
import { readMigrations } from '../db/migrate';
import { createTestDatabase } from './helpers/database';
import { startCapstan, stopAllStarted, stopWithCtrlC } from './helpers/npm-start';
import { freePort } from './helpers/ports';

const dataDir = mkdtempSync(join(tmpdir(), 'capstan-start-'));
after(async () => {
  await stopAllStarted();
  rmSync(dataDir, { recursive: true, force: true });
});

test(
  'npm start runs tasks, survives a stop and a start, and shows runs in Temporal',
  { timeout: 300_000 },
  async () => {
    const temporalPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CAPSTAN_DATA_DIR: dataDir,
      CAPSTAN_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      CAPSTAN_TEMPORAL_UI_PORT: String(await freePort()),
      CAPSTAN_API_PORT: String(await freePort()),
      CAPSTAN_WORKER_METRICS_PORT: String(await freePort()),
      CAPSTAN_EMBEDDED_DB_PORT: String(await freePort()),
      CAPSTAN_TEMPORAL_BIN: process.env.CAPSTAN_TEST_TEMPORAL_BIN,
      CAPSTAN_LOG_LEVEL: 'warn',
    };
    delete env.CAPSTAN_DATABASE_URL; // no database configured: the embedded one
    const first = await startCapstan(env);
    assert.match(first.output(), /database:\s+embedded PostgreSQL \(PGlite\)/);
    // The terminal is for people: the processes' JSON lines go to files it names; a warning shows as one plain line.
    assert.ok(first.output().includes(`logs:            ${join(dataDir, 'logs')}/<process>.log`), first.output());
    assert.doesNotMatch(first.output(), /^\{/m, 'no JSON log line in the terminal');
    // Whichever process makes the passphrase first (the API or the Pulumi class's worker) warns about it.
    const warned = /^\[(api|worker general)\] warn: no CAPSTAN_PULUMI_PASSPHRASE/m.exec(first.output());
    assert.ok(warned, first.output());
    const logFile = join(dataDir, 'logs', `${warned[1]!.replace(' ', '-')}.log`);
    const inFile = /^\{.*"msg":"no CAPSTAN_PULUMI_PASSPHRASE/m;
    assert.match(readFileSync(logFile, 'utf8'), inFile, `the JSON line is in ${logFile}`);
    // The first start has no admin token yet: it makes one and prints it, once.
    const tokens = [...first.output().matchAll(/admin token \(shown once, store it now\): (cap_[\w-]+)/g)].map(
      (m) => m[1]!,
    );
    assert.equal(tokens.length, 1, `the admin token is printed once:\n${first.output()}`);
    const auth = { Authorization: `Bearer ${tokens[0]}` };
    assert.equal((await fetch(`${first.apiUrl}/v1/runs`)).status, 401, 'the API needs a token');
    // The console's address comes first of the addresses, and the API serves the console there.
    const consoleUrl = /console:\s+(http:\/\/\S+)/.exec(first.output())?.[1];
    assert.equal(consoleUrl, `${first.apiUrl}/`, first.output());
    assert.ok(first.output().indexOf('console:') < first.output().indexOf('API:'), first.output());
    const page = await fetch(consoleUrl);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root"><\/div>/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const started = await fetch(`${first.apiUrl}/v1/tasks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: JSON.stringify({ nodeClass: 'general', command: 'echo hello' }),
    });
    assert.equal(started.status, 202, await started.clone().text());
    const { runId } = (await started.json()) as { runId: string };
    let run: any;
    for (let i = 0; i < 300; i++) {
      run = await (await fetch(`${first.apiUrl}/v1/runs/${runId}`, { headers: auth })).json();
      if (run.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.equal(run.result.exitCode, 0);
    assert.equal(run.result.stdout, 'hello\n');
    assert.match(run.result.worker, /\/general\/\d+$/);
    const usage = await usageOfRun(first.apiUrl, auth, runId);
    assert.deepEqual(usage, [['general', 1, 1]], 'the attempt is metered in the embedded database');
    const log = await fetch(`${first.apiUrl}/v1/runs/${runId}/log`, { headers: auth });
    assert.match(
      await log.text(),
      /^hello\n\[capstan\] exited with code 0/,
      'its log is kept in the embedded database',
    );

    const listed = execFileSync(
      env.CAPSTAN_TEMPORAL_BIN!,
      ['workflow', 'list', '--address', env.CAPSTAN_TEMPORAL_ADDRESS!, '-o', 'json'],
      { encoding: 'utf8' },
    );
    assert.ok(listed.includes(runId), 'the run shows in `temporal workflow list`');
    const ui = await fetch(first.uiUrl);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<html/i, 'the Web UI serves its page');
    // The page lists workflows through the UI server's own API; the run must be in that list.
    const uiList = await (await fetch(`${first.uiUrl}/api/v1/namespaces/default/workflows`)).text();
    assert.ok(uiList.includes(runId), 'the run shows in the Web UI');
    const workerMetrics = await (await fetch(`http://127.0.0.1:${env.CAPSTAN_WORKER_METRICS_PORT}/metrics`)).text();
    assert.match(workerMetrics, /temporal_/, "the orchestrator worker exposes the SDK's metrics");

    await stopWithCtrlC(first);
    await assert.rejects(fetch(`${first.apiUrl}/healthz`), 'the API is down after Ctrl-C');

    // --verbose shows the JSON lines in the terminal too.
    const second = await startCapstan({ ...env, CAPSTAN_LOG_LEVEL: 'info' }, ['--verbose']);
    assert.match(second.output(), /^\{.*"msg":"API listening"/m);
    assert.doesNotMatch(second.output(), /admin token \(shown once/, 'an admin token exists, so no new one is made');
    const listed2 = await fetch(`${second.apiUrl}/v1/runs`, { headers: auth });
    const list = (await listed2.json()) as { runs: Array<{ runId: string; status: string }> };
    assert.equal(listed2.status, 200, JSON.stringify(list));
    assert.deepEqual(list.runs.find((r) => r.runId === runId)?.status, 'completed', 'the earlier run is still listed');
    const again = (await (await fetch(`${second.apiUrl}/v1/runs/${runId}`, { headers: auth })).json()) as any;
    assert.equal(again.result.stdout, 'hello\n', 'with its result');
    assert.deepEqual(
      await usageOfRun(second.apiUrl, auth, runId),
      [['general', 1, 1]],
      'and its metering, kept in the data directory',
    );
    await stopWithCtrlC(second);
  },
);

test(
  'npm start with CAPSTAN_DATABASE_URL uses that PostgreSQL server: migrations, tokens and metering land there',
  { timeout: 300_000 },
  async () => {
    const database = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'capstan-start-pg-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CAPSTAN_DATA_DIR: dir,
      CAPSTAN_DATABASE_URL: database.url,
      CAPSTAN_TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      CAPSTAN_TEMPORAL_UI_PORT: String(await freePort()),
      CAPSTAN_API_PORT: String(await freePort()),
      CAPSTAN_WORKER_METRICS_PORT: String(await freePort()),
      CAPSTAN_TEMPORAL_BIN: process.env.CAPSTAN_TEST_TEMPORAL_BIN,
      CAPSTAN_ADMIN_TOKEN: 'cap_configured-admin-token-for-the-start-test-0123456789',
      CAPSTAN_LOG_LEVEL: 'warn',
    };
    const db = new Pool({ connectionString: database.url });
    try {
      const started = await startCapstan(env);
      assert.doesNotMatch(started.output(), /embedded/);
      assert.doesNotMatch(
        started.output(),
        /admin token \(shown once/,
        'a configured admin token is used, not a new one',
      );
      const auth = { Authorization: `Bearer ${env.CAPSTAN_ADMIN_TOKEN}` };
      const response = await fetch(`${started.apiUrl}/v1/tasks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...auth },
        body: JSON.stringify({ nodeClass: 'highmem', command: 'sleep 0.3' }),
      });
      assert.equal(response.status, 202, await response.clone().text());
      const { runId } = (await response.json()) as { runId: string };
      for (let i = 0; i < 300 && (await usageOfRun(started.apiUrl, auth, runId))[0]?.[2] !== 1; i++)
        await new Promise((r) => setTimeout(r, 200));
      const rows = (
        await db.query('SELECT node_class, attempt, outcome, duration_ms FROM task_attempts WHERE run_id = $1', [runId])
      ).rows;
      assert.equal(rows.length, 1);
      assert.deepEqual([rows[0].node_class, rows[0].attempt, rows[0].outcome], ['highmem', 1, 'succeeded']);
      assert.ok(Number(rows[0].duration_ms) >= 300);
      assert.equal(
        (await db.query('SELECT count(*)::int AS n FROM capstan_migrations')).rows[0].n,
        readMigrations().length,
      );
      await stopWithCtrlC(started);
    } finally {
      await db.end();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

/** [node class, attempts, succeeded] of one run, from `GET /v1/usage`. */
async function usageOfRun(
  apiUrl: string,
  auth: Record<string, string>,
  runId: string,
): Promise<Array<[string, number, number]>> {
  const response = await fetch(`${apiUrl}/v1/usage?groupBy=nodeClass&runId=${encodeURIComponent(runId)}`, {
    headers: auth,
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { groups: Array<{ key: string; attempts: number; succeeded: number }> };
  return body.groups.map((g) => [g.key, g.attempts, g.succeeded]);
}
