/**
 * A task printing 200 MB through a real node-class worker process, its memory sampled from /proc every
 * 100 ms, against the same command printing into /dev/null; then what its log holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { actAs } from '../../api/auth/principal';
import { startTask } from '../../api/services/start-task';
import { TaskSpecSchema, type TaskSpec } from '../../workflows/contracts/task-spec';
import type { BenchEnv } from './bench-env';
import { procCpuSeconds as cpuSeconds, procMemory as procStatus } from './proc';
import { since } from './stats';
import { withTimeout } from './timeout';

/** `bytes` of "y\n" (200,000,000 bytes: 100 million lines). */
export function printCommand(bytes: number): string {
  return `yes | head -c ${bytes}`;
}

/** One task's run through the child worker. */
export interface RssRun {
  command: string;
  ms: number;
  /** VmRSS before the task, the highest sampled during it, and VmHWM (the kernel's peak, reset before the task). */
  rssBeforeMiB: number;
  rssPeakMiB: number;
  hwmMiB: number;
  /** CPU seconds the worker process used during the task (user + system), and the database process. */
  workerCpuS: number;
  dbCpuS: number;
  /** ms after the result until the log row was marked ended. */
  logEndedAfterMs: number;
  log: { lines: number; bytes: number; cutLines: number; cutBytes: number; chunks: number; storedBytes: number };
  /** The first and last stored lines, and whether the line numbers jump where the middle was cut. */
  firstLine: string;
  lastLines: string[];
  gap: string;
}

/** What the phase reports. */
export interface WorkerRssResult {
  command: string;
  idleRssMiB: number;
  limitBytes: number;
  devNull: RssRun;
  printed: RssRun;
}

const MiB = 1024 * 1024;

/** Starts `dist/workers/node-class-worker.js` for `general` on the environment's queues and database; resolves once it polls. */
async function startChildWorker(env: BenchEnv, dataDir: string, log: (line: string) => void): Promise<ChildProcess> {
  const config = env.config;
  // BENCH_WORKER_CPU_PROF=DIR: the worker writes a CPU profile there when it stops (open it in Chrome DevTools).
  const profile = process.env.BENCH_WORKER_CPU_PROF;
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const script = join(__dirname, '../../workers/node-class-worker.js');
  const child = spawn(process.execPath, [...nodeArgs, script, '--class', 'general'], {
    env: {
      ...process.env,
      // BENCH_WORKER_NODE_OPTIONS: node options for the worker alone (e.g. --max-old-space-size=128, to see what it keeps).
      ...(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {}),
      CAPSTAN_TEMPORAL_ADDRESS: config.temporal.address,
      CAPSTAN_TASK_QUEUE_PREFIX: config.taskQueuePrefix,
      CAPSTAN_DATABASE_URL: config.database.url,
      CAPSTAN_DATA_DIR: dataDir,
      CAPSTAN_WORKSPACE_DIR: config.worker.workspaceDir,
      CAPSTAN_LOG_MAX_BYTES: String(config.taskLogs.maxBytes),
      CAPSTAN_LOG_LEVEL: 'info',
      // Another class runs stack operations, so this worker never fetches or builds a Pulumi CLI in the background.
      CAPSTAN_PULUMI_NODE_CLASS: 'highmem',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.on('data', (d: Buffer) => log(`worker stderr: ${d.toString().trim()}`));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout.on('data', (d: Buffer) => {
        seen = (seen + d.toString()).slice(-4096);
        if (seen.includes('node-class worker polling')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before polling`)));
    }),
    60_000,
    'the child worker',
  );
  // Its JSON log lines are not read any further; drained so a full pipe never blocks it.
  child.stdout.resume();
  return child;
}

async function runTask(env: BenchEnv, spec: TaskSpec): Promise<{ runId: string; ms: number }> {
  const t0 = performance.now();
  const { runId } = await actAs(env.principal, () => startTask(env.deps, spec));
  await withTimeout(env.client.workflow.getHandle(runId).result(), 600_000, `task ${runId}`);
  return { runId, ms: since(t0) };
}

async function endedAfter(env: BenchEnv, runId: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const { rows } = await env.deps.db.query<{ ended: boolean }>(
      'SELECT ended_at IS NOT NULL AS ended FROM task_logs WHERE run_id = $1',
      [runId],
    );
    if (rows[0]?.ended) return since(t0);
    if (since(t0) > 120_000) throw new Error(`log of ${runId} not ended 120 s after the task`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function storedLog(
  env: BenchEnv,
  runId: string,
): Promise<Pick<RssRun, 'log' | 'firstLine' | 'lastLines' | 'gap'>> {
  const db = env.deps.db;
  const { rows } = await db.query<Record<string, string>>(
    `SELECT total_lines, total_bytes, cut_lines, cut_bytes,
            (SELECT count(*) FROM task_log_chunks c WHERE c.run_id = l.run_id) AS chunks,
            (SELECT coalesce(sum(octet_length(body)), 0) FROM task_log_chunks c WHERE c.run_id = l.run_id) AS stored
     FROM task_logs l WHERE run_id = $1`,
    [runId],
  );
  const row = rows[0];
  if (!row) throw new Error(`no log for ${runId}`);
  const chunks = await db.query<{ seq: number; first_line: string; line_count: number; body: string }>(
    `SELECT seq, first_line, line_count, CASE WHEN seq = (SELECT min(seq) FROM task_log_chunks WHERE run_id = $1)
              OR seq = (SELECT max(seq) FROM task_log_chunks WHERE run_id = $1) THEN body ELSE '' END AS body
     FROM task_log_chunks WHERE run_id = $1 ORDER BY seq`,
    [runId],
  );
  // Where consecutive chunks do not continue each other's line numbers: the cut.
  const gaps: string[] = [];
  for (let i = 1; i < chunks.rows.length; i++) {
    const prev = chunks.rows[i - 1]!;
    const next = chunks.rows[i]!;
    const expected = Number(prev.first_line) + prev.line_count;
    if (Number(next.first_line) !== expected) gaps.push(`lines ${expected}..${Number(next.first_line) - 1}`);
  }
  const first = chunks.rows[0]?.body ?? '';
  const last = chunks.rows.at(-1)?.body.trimEnd().split('\n') ?? [];
  return {
    log: {
      lines: Number(row.total_lines),
      bytes: Number(row.total_bytes),
      cutLines: Number(row.cut_lines),
      cutBytes: Number(row.cut_bytes),
      chunks: Number(row.chunks),
      storedBytes: Number(row.stored),
    },
    firstLine: first.slice(0, first.indexOf('\n')),
    lastLines: last.slice(-2),
    gap: gaps.length === 0 ? 'none' : gaps.join(', '),
  };
}

/** Runs one task while sampling the worker; VmHWM is reset first (clear_refs 5), so it is this task's peak. */
async function sampled(env: BenchEnv, pid: number, command: string, died: Promise<never>): Promise<RssRun> {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = procStatus(pid);
  let peak = before.rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, procStatus(pid).rss);
    } catch {
      // The worker is gone; the task fails and says so.
    }
  }, 100);
  const dbPid = env.databasePid;
  const dbCpu = (): number => (dbPid === undefined ? NaN : cpuSeconds(dbPid));
  const cpu0 = cpuSeconds(pid);
  const db0 = dbCpu();
  let run: { runId: string; ms: number };
  try {
    run = await Promise.race([
      runTask(env, TaskSpecSchema.parse({ nodeClass: 'general', command, timeoutSeconds: 600 })),
      died,
    ]);
  } finally {
    clearInterval(timer);
  }
  const logEndedAfterMs = await endedAfter(env, run.runId);
  const after = procStatus(pid);
  const dbCpuS = dbCpu() - db0;
  return {
    command,
    ms: run.ms,
    rssBeforeMiB: before.rss / MiB,
    rssPeakMiB: Math.max(peak, after.rss) / MiB,
    hwmMiB: after.hwm / MiB,
    workerCpuS: cpuSeconds(pid) - cpu0,
    dbCpuS,
    logEndedAfterMs,
    ...(await storedLog(env, run.runId)),
  };
}

/** Starts the child worker, warms it up with a small printing task, then runs the /dev/null task and the printing one. */
export async function measureWorkerRss(
  env: BenchEnv,
  dataDir: string,
  bytes: number,
  log: (line: string) => void,
): Promise<WorkerRssResult> {
  const command = printCommand(bytes);
  log('starting a node-class worker process');
  const child = await startChildWorker(env, dataDir, log);
  const pid = child.pid!;
  // A worker that dies (out of memory) fails the phase at once instead of leaving its task to time out.
  const died = new Promise<never>((_resolve, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`the worker exited (${signal ?? code}) during the phase`))),
  );
  died.catch(() => undefined);
  try {
    log('warm-up task (seq 1 100000)');
    await runTask(env, TaskSpecSchema.parse({ nodeClass: 'general', command: 'seq 1 100000' }));
    await new Promise((r) => setTimeout(r, 2000));
    const idleRssMiB = procStatus(pid).rss / MiB;
    log(`worker ${pid} idle at ${idleRssMiB.toFixed(1)} MiB; running ${command} > /dev/null`);
    const devNull = await sampled(env, pid, `${command} > /dev/null`, died);
    log(`${(devNull.ms / 1000).toFixed(2)} s; running ${command}`);
    const printed = await sampled(env, pid, command, died);
    log(`${(printed.ms / 1000).toFixed(2)} s`);
    return { command, idleRssMiB, limitBytes: env.config.taskLogs.maxBytes, devNull, printed };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }
}
