/**
 * kill -9 of the Temporal dev server that `npm start` runs, in the middle of a DAG: npm start notices,
 * says so, starts it again on the same database and port, and the DAG completes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startCapstan, stopAllStarted, stopWithCtrlC, type Started } from './helpers/npm-start';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';

const dataDir = mkdtempSync(join(tmpdir(), 'capstan-devserver-'));
let started: Started | undefined;
after(async () => {
  await stopAllStarted();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Pids of dev servers running on this test's database file, read from /proc. */
function devServerPids(): number[] {
  const dbFile = join(dataDir, 'temporal', 'dev-server.db');
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return args.includes('start-dev') && args.includes(dbFile);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

const TITLE =
  'the dev server killed with SIGKILL mid-DAG comes back on the same database and port, and the DAG completes';

test(TITLE, { timeout: 300_000 }, async () => {
  const temporalPort = await freePort();
  const token = 'cap_dev-server-restart-test-admin-token-0123456789';
  started = await startCapstan({
    ...process.env,
    CAPSTAN_DATA_DIR: dataDir,
    CAPSTAN_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    CAPSTAN_TEMPORAL_UI_PORT: String(await freePort()),
    CAPSTAN_API_PORT: String(await freePort()),
    CAPSTAN_WORKER_METRICS_PORT: String(await freePort()),
    CAPSTAN_EMBEDDED_DB_PORT: String(await freePort()),
    CAPSTAN_TEMPORAL_BIN: process.env.CAPSTAN_TEST_TEMPORAL_BIN,
    ...(process.env.CAPSTAN_TEST_PULUMI_BIN ? { CAPSTAN_PULUMI_BIN: process.env.CAPSTAN_TEST_PULUMI_BIN } : {}),
    CAPSTAN_ADMIN_TOKEN: token,
    CAPSTAN_DATABASE_URL: undefined,
    CAPSTAN_LOG_LEVEL: 'warn',
  });
  const api = started.apiUrl;
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

  // Two layers of three tasks that take a few seconds each; the second layer reads the first one's outputs.
  const tasks = [
    ...[1, 2, 3].map((i) => ({
      id: `first${i}`,
      nodeClass: 'general',
      command: `sleep 3; echo "n=${i}" >> "$CAPSTAN_OUTPUT"`,
    })),
    ...[1, 2, 3].map((i) => ({
      id: `second${i}`,
      nodeClass: 'general',
      dependsOn: [`first${i}`],
      command: 'sleep 2; echo done',
    })),
  ];
  const body = JSON.stringify({ name: 'dev-server-kill', tasks });
  const response = await fetch(`${api}/v1/dags`, { method: 'POST', headers, body });
  assert.equal(response.status, 202, await response.clone().text());
  const { runId } = (await response.json()) as { runId: string };
  const runUrl = `${api}/v1/runs/${encodeURIComponent(runId)}`;
  const runOf = async (): Promise<any> => (await fetch(runUrl, { headers })).json();

  let counts: Record<string, number> = {};
  const startDeadline = Date.now() + 60_000;
  for (; (counts.running ?? 0) === 0; await new Promise((r) => setTimeout(r, 200))) {
    assert.ok(Date.now() < startDeadline, `no task of the DAG started running: ${JSON.stringify(counts)}`);
    counts = (await runOf()).dag?.counts ?? {};
  }

  const [before] = devServerPids();
  assert.ok(before, 'the dev server is running on the test database');
  assert.equal((counts.succeeded ?? 0) < 6, true, 'the DAG is in the middle when the server is killed');
  process.kill(before, 'SIGKILL');

  const said = (pattern: RegExp) => (): boolean => pattern.test(started!.output());
  await waitFor(
    said(/the Temporal dev server stopped \(SIGKILL\); restarting it/),
    'npm start noticing the death',
    15_000,
  );
  await waitFor(said(/the Temporal dev server is back after/), 'the dev server coming back', 60_000);
  const [after] = devServerPids();
  assert.ok(after && after !== before, `a new dev server process (before ${before}, after ${after})`);
  const dbFile = join(dataDir, 'temporal', 'dev-server.db');
  assert.ok(started.output().includes(`same database (${dbFile}) and port ${temporalPort}`), started.output());

  let run: any;
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    run = await runOf().catch(() => undefined);
    if (run && run.status !== 'running') break;
  }
  assert.equal(run?.status, 'completed', JSON.stringify(run?.failure ?? run?.dag?.counts ?? run));
  assert.equal(run.dag.counts.succeeded, 6);
  for (const i of [1, 2, 3]) {
    assert.equal(run.dag.nodes.find((n: any) => n.key === `first${i}`)?.outputs?.n, String(i), `outputs of first${i}`);
  }

  await stopWithCtrlC(started);
  await waitFor(() => devServerPids().length === 0, 'the dev server stopping with npm start', 15_000);
});
