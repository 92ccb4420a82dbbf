/** Part 3: latency of the real Express app under concurrent clients, with workers completing the tasks it starts. */
import { createServer, type Server } from 'node:http';
import { createApp } from '../../api/app';
import { createLogger } from '../../config/logger';
import type { BenchEnv } from './bench-env';
import { runLoad, type LoadResult, type RequestOutcome } from './load';
import { pickPort } from './ports';
import { withTimeout } from './timeout';

/** Settings of the API phase. */
export interface ApiLoadOptions {
  requests: number;
  concurrency: number;
  warmup: number;
  log(line: string): void;
}

/** Figures of the API phase. */
export interface ApiLoadResult {
  url: string;
  post: LoadResult;
  /** Waiting for every started task to finish, between the POST and GET phases. */
  drain: { ms: number; completed: number; failed: number };
  get: LoadResult;
}

const TASK_BODY = JSON.stringify({ nodeClass: 'general', command: 'true' });

/** The whole drain may take this long; 400 no-op tasks need seconds, so reaching it means something is stuck. */
const DRAIN_DEADLINE_MS = 10 * 60_000;

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

/** A 2xx counts as success, anything else as an error; the label keeps the status for the report. */
function outcomeOf(status: number): RequestOutcome {
  return { ok: status >= 200 && status < 300, label: String(status) };
}

/** Serves createApp on a bench port and measures POST /v1/tasks, then (after the tasks finish) GET /v1/runs/:id. */
export async function benchApi(env: BenchEnv, options: ApiLoadOptions): Promise<ApiLoadResult> {
  // WARN: one info line per request would write megabytes to stdout and time the logger, not the API.
  const app = createApp(env.deps, createLogger('bench', 'warn'));
  const server = createServer(app);
  const port = await pickPort(27080);
  await listen(server, port);
  const url = `http://127.0.0.1:${port}`;
  const auth = { Authorization: `Bearer ${env.apiToken}` };
  try {
    const postTask = async (): Promise<{ status: number; runId?: string }> => {
      const res = await fetch(`${url}/v1/tasks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...auth },
        body: TASK_BODY,
      });
      const body = (await res.json()) as { runId?: string };
      return { status: res.status, runId: body.runId };
    };
    const getRun = async (runId: string): Promise<number> => {
      const res = await fetch(`${url}/v1/runs/${encodeURIComponent(runId)}`, { headers: auth });
      await res.arrayBuffer(); // read the body: the latency includes it, and the connection is reused only after it
      return res.status;
    };

    options.log(`[api] ${url}: warm-up, ${options.warmup} POST + GET`);
    for (let i = 0; i < options.warmup; i++) {
      const { runId } = await postTask();
      if (runId) await getRun(runId);
    }

    options.log(`[api] POST /v1/tasks x${options.requests}, ${options.concurrency} concurrent clients`);
    const ids: string[] = [];
    const post = await runLoad(options.requests, options.concurrency, async () => {
      const { status, runId } = await postTask();
      if (status === 202 && runId) ids.push(runId);
      return outcomeOf(status);
    });

    options.log(`[api] waiting for ${ids.length} started tasks to finish`);
    env.assertAlive();
    // Through runLoad rather than all at once: hundreds of simultaneous long polls would measure the client, not the tasks.
    const drained = await withTimeout(
      runLoad(ids.length, options.concurrency, async (i) => {
        await env.client.workflow.getHandle(ids[i] as string).result();
        return { ok: true, label: 'completed' };
      }),
      DRAIN_DEADLINE_MS,
      `draining ${ids.length} tasks`,
    );
    const drain = { ms: drained.wallMs, completed: ids.length - drained.errors, failed: drained.errors };

    // GETs of finished runs: describe plus result, the steady state of a run being looked at after the fact.
    options.log(`[api] GET /v1/runs/:id x${options.requests} over ${ids.length} finished runs`);
    const get = await runLoad(ids.length === 0 ? 0 : options.requests, options.concurrency, async (i) =>
      outcomeOf(await getRun(ids[i % ids.length] as string)),
    );
    return { url, post, drain, get };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
