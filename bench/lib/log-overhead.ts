/**
 * Part 4: what keeping a task's log costs per task: a task printing 10 MB with its log kept (the default)
 * against the same command printing into /dev/null, and the empty task; plus the activity body alone
 * with and without a log store, which isolates the log path from orchestration.
 */
import { actAs } from '../../api/auth/principal';
import { startTask } from '../../api/services/start-task';
import { TaskSpecSchema, type TaskSpec } from '../../workflows/contracts/task-spec';
import type { ShellActivityDeps } from '../../activities/shell/run-shell-command';
import type { BenchEnv } from './bench-env';
import { measureActivityBody } from './spawn';
import { since, summarize, type Summary } from './stats';
import { withTimeout } from './timeout';

/** 10,000,000 bytes as 100,000 lines of 100 bytes (99 x and a newline). */
const PRINT_10MB = "head -c 9900000 /dev/zero | tr '\\0' x | fold -w 99";

/** The three commands part 4 compares, in the order the report prints them. */
export const LOG_SPECS = {
  printed: TaskSpecSchema.parse({ nodeClass: 'general', command: PRINT_10MB }),
  devNull: TaskSpecSchema.parse({ nodeClass: 'general', command: `${PRINT_10MB} > /dev/null` }),
  empty: TaskSpecSchema.parse({ nodeClass: 'general', command: 'true' }),
} as const;

/** Figures of part 4. */
export interface LogOverheadResult {
  /** (a) 10 MB printed, log kept; (b) the same into /dev/null; (c) `true`. Client-side ms per task. */
  printed: Summary;
  devNull: Summary;
  empty: Summary;
  /** After (a)'s result arrived: ms until its log row was marked ended (0 when it already was). */
  logEndedAfter: Summary;
  /** Lines, bytes and cut lines of the last (a) log as stored. */
  stored: { lines: number; bytes: number; cutLines: number; chunks: number };
  /** The activity body alone (no Temporal) printing 10 MB: with the worker's log store, and with none. */
  body: { withLog: Summary; withoutLog: Summary };
}

/** The workflow id MockActivityEnvironment gives every activity it runs. */
const MOCK_WORKFLOW_ID = 'test';

/** A printing task should take a second or two; a minute means something is stuck. */
const TASK_DEADLINE_MS = 120_000;

async function runTask(env: BenchEnv, spec: TaskSpec): Promise<{ runId: string; ms: number }> {
  const t0 = performance.now();
  const { runId } = await actAs(env.principal, () => startTask(env.deps, spec));
  await withTimeout(env.client.workflow.getHandle(runId).result(), TASK_DEADLINE_MS, `task ${runId}`);
  return { runId, ms: since(t0) };
}

/** Polls the run's log row until the worker marked it ended; ms waited. */
async function logEndedAfter(env: BenchEnv, runId: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const { rows } = await env.deps.db.query<{ ended: boolean }>(
      'SELECT ended_at IS NOT NULL AS ended FROM task_logs WHERE run_id = $1',
      [runId],
    );
    if (rows[0]?.ended) return since(t0);
    if (since(t0) > 60_000) throw new Error(`log of ${runId} not ended 60 s after the task`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function storedLog(env: BenchEnv, runId: string): Promise<LogOverheadResult['stored']> {
  const { rows } = await env.deps.db.query<{ lines: string; bytes: string; cut: string; chunks: string }>(
    `SELECT l.total_lines AS lines, l.total_bytes AS bytes, l.cut_lines AS cut,
            (SELECT count(*) FROM task_log_chunks c WHERE c.run_id = l.run_id) AS chunks
     FROM task_logs l WHERE l.run_id = $1`,
    [runId],
  );
  const row = rows[0];
  if (!row) throw new Error(`no log stored for ${runId}`);
  return { lines: Number(row.lines), bytes: Number(row.bytes), cutLines: Number(row.cut), chunks: Number(row.chunks) };
}

/**
 * Runs `warmup` then `runs` rounds of the three tasks, rotating their order each round so load drift
 * hits all alike; then the activity body alone, `runs` times with and without a log store.
 */
export async function measureLogOverhead(
  env: BenchEnv,
  runs: number,
  warmup: number,
  bodyDeps: ShellActivityDeps,
  log: (line: string) => void,
): Promise<LogOverheadResult> {
  const kinds = ['printed', 'devNull', 'empty'] as const;
  log(`[${env.label}] warm-up: ${warmup} rounds of the three tasks`);
  for (let i = 0; i < warmup; i++) for (const kind of kinds) await runTask(env, LOG_SPECS[kind]);
  const samples = { printed: [] as number[], devNull: [] as number[], empty: [] as number[] };
  const ended: number[] = [];
  let lastPrinted = '';
  for (let i = 0; i < runs; i++) {
    env.assertAlive();
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(i + k) % kinds.length]!;
      const { runId, ms } = await runTask(env, LOG_SPECS[kind]);
      samples[kind].push(ms);
      if (kind === 'printed') {
        // Waited for outside the timed part, so the next task starts with the database idle.
        ended.push(await logEndedAfter(env, runId));
        lastPrinted = runId;
      }
    }
    if ((i + 1) % 5 === 0 || i + 1 === runs) log(`[${env.label}] ${i + 1}/${runs} rounds done`);
  }
  const stored = await storedLog(env, lastPrinted);

  log(`[${env.label}] activity body alone printing 10 MB, ${runs} runs with a log store and ${runs} without`);
  const withLog: number[] = [];
  const withoutLog: number[] = [];
  for (let i = 0; i < runs; i++) {
    // One of each in turn, so load drift hits both alike.
    withLog.push((await measureActivityBody(1, LOG_SPECS.printed, bodyDeps)).mean);
    // The mock activity context runs every body as workflow "test"; the next one reopens that log.
    await logEndedAfter(env, MOCK_WORKFLOW_ID);
    withoutLog.push((await measureActivityBody(1, LOG_SPECS.printed, { ...bodyDeps, logs: undefined })).mean);
  }
  return {
    printed: summarize(samples.printed),
    devNull: summarize(samples.devNull),
    empty: summarize(samples.empty),
    logEndedAfter: summarize(ended),
    stored,
    body: { withLog: summarize(withLog), withoutLog: summarize(withoutLog) },
  };
}
