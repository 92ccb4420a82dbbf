/** Running one Capstan DAG through the API's own startDag, watching its progress, and sampling this process's memory. */
import type { Client } from '@temporalio/client';
import { actAs } from '../../api/auth/principal';
import { startDag } from '../../api/services/start-dag';
import type { DagResult } from '../../workflows/contracts/dag-run';
import { DagSpecSchema, type DagSpecInput } from '../../workflows/contracts/dag-spec';
import { dagStateQuery } from '../../workflows/definitions';
import type { BenchEnv } from './bench-env';
import { since } from './stats';
import { withTimeout } from './timeout';

/** How one DAG run went; `error` is set when it failed or missed its deadline. */
export interface DagRun {
  runId: string;
  /** The start RPC alone (the spec travels in it). */
  startMs: number;
  /** From before the start RPC to the result. */
  wallMs: number;
  result?: DagResult;
  error?: string;
}

/** An error and its causes as one line, so a failed DAG names the failed task and its reason. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  return parts.join(' <- ');
}

/** Counts and current execution of a running DAG via dagStateQuery, as a progress line (query errors become the line) and the succeeded count. */
export async function dagProgress(client: Client, runId: string): Promise<{ line: string; succeeded?: number }> {
  try {
    const view = await client.workflow.getHandle(runId).query(dagStateQuery, { limit: 1 });
    const counts = Object.entries(view.counts)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    return { line: `${counts} of ${view.total}; execution ${view.executions}`, succeeded: view.counts.succeeded };
  } catch (err) {
    return { line: `query failed: ${errorText(err)}` };
  }
}

/** Starts `spec` with startDag and awaits its result; logs progress every `progressMs` if given. Never throws for the run's own failure. */
export async function runDag(
  env: BenchEnv,
  spec: DagSpecInput,
  deadlineMs: number,
  log?: (line: string) => void,
  progressMs = 10_000,
): Promise<DagRun> {
  const t0 = performance.now();
  const { runId } = await actAs(env.principal, () => startDag(env.deps, DagSpecSchema.parse(spec), spec));
  const startMs = since(t0);
  let done = false;
  // Ends by itself at its next wake-up once `done` is set.
  void (async () => {
    while (log && !done) {
      await new Promise((r) => setTimeout(r, progressMs));
      if (!done) log(`  ${runId}: ${(await dagProgress(env.client, runId)).line} (${(since(t0) / 1000).toFixed(0)} s)`);
    }
  })();
  try {
    const result = (await withTimeout(
      env.client.workflow.getHandle(runId).result(),
      deadlineMs,
      `DAG ${runId}`,
    )) as DagResult;
    return { runId, startMs, wallMs: since(t0), result };
  } catch (err) {
    return { runId, startMs, wallMs: since(t0), error: errorText(err) };
  } finally {
    done = true;
  }
}

/** Samples this process's RSS every `everyMs`; `stop` returns the first and the largest sample in bytes. */
export function sampleRss(everyMs = 250): { stop(): { startBytes: number; peakBytes: number; samples: number } } {
  const startBytes = process.memoryUsage().rss;
  let peakBytes = startBytes;
  let samples = 1;
  const timer = setInterval(() => {
    peakBytes = Math.max(peakBytes, process.memoryUsage().rss);
    samples++;
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { startBytes, peakBytes: Math.max(peakBytes, process.memoryUsage().rss), samples: samples + 1 };
    },
  };
}
