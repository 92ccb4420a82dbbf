/** The API under an open-loop load: POST /v1/tasks and GET /v1/runs/:id at fixed rates, each beside a baseline at the same rate. */
import { TOKEN_CACHE_TTL_MS } from '../../api/auth/token-cache';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { createApp } from '../../api/app';
import { createLogger } from '../../config/logger';
import type { ApiDeps } from '../../api/services/deps';
import type { BenchEnv } from './bench-env';
import { runOpenLoop, type OpenLoopResult, type TimedOutcome } from './open-loop';
import { pickPort } from './ports';

/** Rates and durations of the phases. */
export interface ApiOpenLoopOptions {
  postRate: number;
  /** A start rate this machine sustains with every task run (bench:ceiling), measured first; 0 leaves it out. */
  sustainedPostRate: number;
  getRate: number;
  seconds: number;
  log(line: string): void;
}

/** One measured phase with its name. */
export interface NamedPhase {
  name: string;
  result: OpenLoopResult;
}

/** Figures of one environment (one database). */
export interface ApiOpenLoopResult {
  loadAtStart: string;
  loadAtEnd: string;
  phases: NamedPhase[];
}

const TASK_BODY = JSON.stringify({ nodeClass: 'general', command: 'true' });

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** An app on its own bench port; `close` stops it. */
async function serve(env: BenchEnv, caches: ApiDeps['caches']): Promise<{ url: string; close(): Promise<void> }> {
  // FATAL only: a failed request is counted by the bench, and a log line per failure would bury the report.
  const app = createApp({ ...env.deps, caches }, createLogger('bench', 'fatal'));
  const server = createServer(app);
  const port = await pickPort(27780);
  await listen(server, port);
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The API the bench loads: one app, or "before" (caches off) and "after" apps in this process. */
export type ApiTargets = { kind: 'process'; url: string; assertAlive(): void } | { kind: 'in-process' };

/**
 * Runs every phase against the API, each beside a baseline at the same rate. With the API in a process of its own
 * (as `npm start` runs it), on its shipped settings; in this process, on two apps on the same workers and database:
 * "before" with the caches off (every request looks its token up, describes its run, asks for pollers) and
 * "after" with them on, interleaved.
 */
export async function benchApiOpenLoop(
  env: BenchEnv,
  options: ApiOpenLoopOptions,
  targets: ApiTargets = { kind: 'in-process' },
): Promise<ApiOpenLoopResult> {
  const loadAtStart = load();
  const raw = env.raw;
  if (!raw) throw new Error('the API bench needs the raw workers for its Temporal baseline');
  const apps: Array<{ name: string; url: string; close(): Promise<void> }> =
    targets.kind === 'process'
      ? [{ name: '', url: targets.url, close: async () => undefined }]
      : [
          { name: ', before (caches off)', ...(await serve(env, { tokenMs: 0, closedRunMs: 0, pollerMs: 0 })) },
          // The token cache is off by default (revocation across processes); the bench shows what it would buy.
          { name: ', after', ...(await serve(env, { tokenMs: TOKEN_CACHE_TTL_MS })) },
        ];
  const main = apps[apps.length - 1]!;
  const assertAlive = (): void => {
    env.assertAlive();
    if (targets.kind === 'process') targets.assertAlive();
  };
  const auth = { Authorization: `Bearer ${env.apiToken}` };
  const outcome = (res: Response): TimedOutcome => ({
    ok: res.status >= 200 && res.status < 300,
    label: String(res.status),
    serverTiming: res.headers.get('server-timing'),
  });
  const ids: string[] = [];
  const postTask = (url: string) => async (): Promise<TimedOutcome> => {
    const res = await fetch(`${url}/v1/tasks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: TASK_BODY,
    });
    const body = (await res.json()) as { runId?: string };
    if (res.status === 202 && body.runId) ids.push(body.runId);
    return outcome(res);
  };
  const read = async (url: string, runId: string): Promise<TimedOutcome> => {
    const res = await fetch(`${url}/v1/runs/${encodeURIComponent(runId)}`, { headers: auth });
    await res.arrayBuffer();
    return outcome(res);
  };
  // Spread over every run the bench started, oldest first: each is read about once per pass, so no cache of one id helps.
  const getRun = (url: string) => (i: number) => read(url, ids[i % ids.length] as string);
  // The runs started in the last two seconds or so, newest first: a user following the tasks they just started.
  const getRecentRun = (url: string) => (i: number) =>
    read(url, ids[Math.max(0, ids.length - 1 - (i % (2 * options.postRate)))] as string);
  const health = async (): Promise<TimedOutcome> => {
    const res = await fetch(`${main.url}/healthz`);
    await res.arrayBuffer();
    return outcome(res);
  };
  const rawStart = async (): Promise<TimedOutcome> => {
    await env.client.workflow.start('rawTaskWorkflow', {
      taskQueue: raw.workflowQueue,
      workflowId: `raw-${randomUUID()}`,
      args: [raw.activityQueue],
    });
    return { ok: true, label: 'started' };
  };
  const rawDescribe = async (i: number): Promise<TimedOutcome> => {
    await env.client.workflow.getHandle(ids[i % ids.length] as string).describe();
    return { ok: true, label: 'described' };
  };
  const phases: NamedPhase[] = [];
  const phase = async (name: string, rate: number, request: (i: number) => Promise<TimedOutcome>): Promise<void> => {
    assertAlive();
    options.log(`[api ${env.label}] ${name} at ${rate}/s for ${options.seconds} s (load ${load()})`);
    phases.push({ name, result: await runOpenLoop(rate, options.seconds, request) });
  };
  try {
    options.log(`[api ${env.label}] warm-up, 20 POST + GET on each app`);
    for (let i = 0; i < 20; i++) {
      for (const app of apps) {
        await postTask(app.url)();
        await getRun(app.url)(i);
      }
    }
    await phase('GET /healthz (baseline)', options.postRate, health);
    // Below the machine's ceiling first: at 50/s the started tasks alone need more CPU than two cores have (even raw
    // Temporal's held 45/s at most), so a start's latency there is mostly the queue of work behind it.
    if (options.sustainedPostRate > 0) {
      await phase('raw Temporal start (baseline)', options.sustainedPostRate, rawStart);
      await phase(`POST /v1/tasks${main.name}`, options.sustainedPostRate, postTask(main.url));
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    await phase('raw Temporal start (baseline)', options.postRate, rawStart);
    for (const app of apps) await phase(`POST /v1/tasks${app.name}`, options.postRate, postTask(app.url));
    // The tasks are `true`: a few seconds drain most of them, so the GETs below read mostly ended runs, as a dashboard does.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await phase('GET /healthz (baseline)', options.getRate, health);
    await phase('raw Temporal describe (baseline)', options.getRate, rawDescribe);
    for (const app of apps) await phase(`GET /v1/runs/:id${app.name}`, options.getRate, getRun(app.url));
    // Both at once on the (changed) app: reads while starts keep tasks running on the same machine. Half the
    // reads follow the runs just started (most still running), half are spread over all; /healthz at a low
    // rate beside them is the floor this process and machine allow.
    assertAlive();
    options.log(`[api ${env.label}] POST at ${options.postRate}/s and GET at ${options.getRate}/s together`);
    const halfGets = options.getRate / 2;
    const [posts, recent, spread, floor] = await Promise.all([
      runOpenLoop(options.postRate, options.seconds, postTask(main.url)),
      runOpenLoop(halfGets, options.seconds, getRecentRun(main.url)),
      runOpenLoop(halfGets, options.seconds, getRun(main.url)),
      runOpenLoop(10, options.seconds, health),
    ]);
    phases.push(
      { name: `POST /v1/tasks${main.name} (with GETs)`, result: posts },
      { name: `GET /v1/runs/:id${main.name} (with POSTs), recent runs`, result: recent },
      { name: `GET /v1/runs/:id${main.name} (with POSTs), any run`, result: spread },
      { name: 'GET /healthz (baseline, with POSTs and GETs)', result: floor },
    );
    return { loadAtStart, loadAtEnd: load(), phases };
  } finally {
    for (const app of apps) await app.close();
  }
}
