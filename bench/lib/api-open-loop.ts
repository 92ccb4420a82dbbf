/** The API under an open-loop load: POST /v1/tasks and GET /v1/runs/:id at fixed rates, each beside a baseline at the same rate. */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { createApp } from '../../api/app';
import { createLogger } from '../../config/logger';
import type { BenchEnv } from './bench-env';
import { runOpenLoop, type OpenLoopResult, type TimedOutcome } from './open-loop';
import { pickPort } from './ports';

/** Rates and durations of the phases. */
export interface ApiOpenLoopOptions {
  postRate: number;
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

/** Serves createApp on a bench port and runs every phase against it, baselines first at the same rate. */
export async function benchApiOpenLoop(env: BenchEnv, options: ApiOpenLoopOptions): Promise<ApiOpenLoopResult> {
  const loadAtStart = load();
  const app = createApp(env.deps, createLogger('bench', 'warn'));
  const server = createServer(app);
  await listen(server, await pickPort(27480));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const auth = { Authorization: `Bearer ${env.apiToken}` };
  const raw = env.raw;
  if (!raw) throw new Error('the API bench needs the raw workers for its Temporal baseline');
  const outcome = (res: Response): TimedOutcome => ({
    ok: res.status >= 200 && res.status < 300,
    label: String(res.status),
    serverTiming: res.headers.get('server-timing'),
  });
  const ids: string[] = [];
  const postTask = async (): Promise<TimedOutcome> => {
    const res = await fetch(`${url}/v1/tasks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: TASK_BODY,
    });
    const body = (await res.json()) as { runId?: string };
    if (res.status === 202 && body.runId) ids.push(body.runId);
    return outcome(res);
  };
  const getRun = async (i: number): Promise<TimedOutcome> => {
    const res = await fetch(`${url}/v1/runs/${encodeURIComponent(ids[i % ids.length] as string)}`, { headers: auth });
    await res.arrayBuffer();
    return outcome(res);
  };
  const health = async (): Promise<TimedOutcome> => {
    const res = await fetch(`${url}/healthz`);
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
    env.assertAlive();
    options.log(`[api ${env.label}] ${name} at ${rate}/s for ${options.seconds} s (load ${load()})`);
    phases.push({ name, result: await runOpenLoop(rate, options.seconds, request) });
  };
  try {
    options.log(`[api ${env.label}] ${url}: warm-up, 20 POST + GET`);
    for (let i = 0; i < 20; i++) {
      await postTask();
      await getRun(i);
    }
    await phase('GET /healthz (baseline)', options.postRate, health);
    await phase('raw Temporal start (baseline)', options.postRate, rawStart);
    await phase('POST /v1/tasks', options.postRate, postTask);
    // The tasks are `true`: a few seconds drain them, so the GETs below read mostly finished runs, as a dashboard does.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await phase('GET /healthz (baseline)', options.getRate, health);
    await phase('raw Temporal describe (baseline)', options.getRate, rawDescribe);
    await phase('GET /v1/runs/:id', options.getRate, getRun);
    // Both at once: reads while starts keep tasks running on the same machine.
    env.assertAlive();
    options.log(`[api ${env.label}] POST at ${options.postRate}/s and GET at ${options.getRate}/s together`);
    const [posts, gets] = await Promise.all([
      runOpenLoop(options.postRate, options.seconds, postTask),
      runOpenLoop(options.getRate, options.seconds, getRun),
    ]);
    phases.push(
      { name: 'POST /v1/tasks (with GETs)', result: posts },
      { name: 'GET /v1/runs/:id (with POSTs)', result: gets },
    );
    return { loadAtStart, loadAtEnd: load(), phases };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
