/**
 * The load generator: starts runs at a steady pace, alternating between the APIs, each start retried
 * with one Idempotency-Key until the API answers with a run id (a retried start cannot start twice),
 * and follows every started run until it ends.
 */
import { randomUUID } from 'node:crypto';
import { nextRun, type PlannedRun } from './specs';

/** One start of the load and what became of it. */
export interface LoadRun {
  planned: PlannedRun;
  key: string;
  /** Set once an API answered 2xx with a run id: the run is "started". */
  runId?: string;
  /** Set when the start was given up on (the APIs kept refusing it past the retry window). */
  refused?: string;
  /** Retries the start needed (5xx, 429 or no answer). */
  startRetries: number;
  /** Status of the run once it is no longer running. */
  status?: string;
  /** The run's view when it ended (for classifying its failure). */
  view?: unknown;
}

/** Settings of the load. */
export interface LoadOptions {
  apiUrls: string[];
  token: string;
  /** Mean seconds between starts. */
  intervalSeconds: number;
  /** How long a start is retried before it counts as refused. */
  startRetrySeconds: number;
  repo: { cloneUrl: string; sha: string };
  random: () => number;
}

/** The running load. */
export class Load {
  readonly runs: LoadRun[] = [];
  private starting = 0;
  private stopped = false;
  private next = 0;
  private pollTimer?: NodeJS.Timeout;
  private startTimer?: NodeJS.Timeout;
  private polling = false;
  private readonly pendingStarts = new Set<Promise<void>>();

  constructor(private readonly options: LoadOptions) {}

  /** Begins starting runs and following them. */
  begin(): void {
    const tick = (): void => {
      if (this.stopped) return;
      const started = this.start(nextRun(this.options.random, this.options.repo));
      this.pendingStarts.add(started);
      void started.finally(() => this.pendingStarts.delete(started));
      const gap = this.options.intervalSeconds * 1000 * (0.5 + this.options.random());
      this.startTimer = setTimeout(tick, gap);
    };
    tick();
    this.pollTimer = setInterval(() => void this.poll(), 3000);
  }

  /** Stops starting runs; resolves once every start under way has been answered or given up. */
  async stopStarting(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.startTimer);
    await Promise.all([...this.pendingStarts]);
  }

  /** Follows the started runs until all ended or `timeoutMs` passed; returns how many are still running. */
  async settle(timeoutMs: number, progress: () => void): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let lastProgress = Date.now();
    for (;;) {
      const open = this.open().length;
      if (open === 0 || Date.now() > deadline) {
        clearInterval(this.pollTimer);
        return open;
      }
      if (Date.now() - lastProgress > 15_000) {
        progress();
        lastProgress = Date.now();
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Started runs not yet seen ended. */
  open(): LoadRun[] {
    return this.runs.filter((r) => r.runId !== undefined && r.status === undefined);
  }

  /** Starts under way right now (retrying). */
  get inFlight(): number {
    return this.starting;
  }

  private async start(planned: PlannedRun): Promise<void> {
    const run: LoadRun = { planned, key: `chaos-${randomUUID()}`, startRetries: 0 };
    this.runs.push(run);
    this.starting++;
    const deadline = Date.now() + this.options.startRetrySeconds * 1000;
    try {
      for (let i = 0; ; i++) {
        const api = this.options.apiUrls[this.next++ % this.options.apiUrls.length]!;
        const answer = await this.call(api, 'POST', planned.path, planned.body, run.key);
        if (answer.status >= 200 && answer.status < 300) {
          const runId = (answer.body as { runId?: string } | undefined)?.runId;
          if (runId) {
            run.runId = runId;
            return;
          }
        }
        const retryable = answer.status === 0 || answer.status >= 500 || answer.status === 429;
        if (!retryable || Date.now() > deadline) {
          run.refused = `${answer.status} ${JSON.stringify(answer.body ?? answer.error).slice(0, 300)}`;
          return;
        }
        run.startRetries++;
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(i, 5))));
      }
    } finally {
      this.starting--;
    }
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const open = this.open();
      // A few at a time: the APIs are under the same chaos as everything else.
      for (let i = 0; i < open.length; i += 8) {
        await Promise.all(
          open.slice(i, i + 8).map(async (run) => {
            const api = this.options.apiUrls[this.next++ % this.options.apiUrls.length]!;
            const answer = await this.call(api, 'GET', `/v1/runs/${encodeURIComponent(run.runId!)}`);
            const status = (answer.body as { status?: string } | undefined)?.status;
            if (answer.status === 200 && status && status !== 'running') {
              run.status = status;
              run.view = answer.body;
            }
          }),
        );
      }
    } finally {
      this.polling = false;
    }
  }

  private async call(
    api: string,
    method: string,
    path: string,
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; body?: unknown; error?: string }> {
    try {
      const response = await fetch(`${api}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(key ? { 'Idempotency-Key': key } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON (a proxy's or a dying server's answer): kept as text.
      }
      return { status: response.status, body: parsed };
    } catch (err) {
      return { status: 0, error: (err as Error).message };
    }
  }
}
