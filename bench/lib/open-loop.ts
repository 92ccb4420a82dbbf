/** An open-loop load generator: requests go out at a fixed rate whatever the answers, so queueing shows in the latency. */
import { summarize, type Summary } from './stats';
import type { RequestOutcome } from './load';

/** Figures of one open-loop phase. */
export interface OpenLoopResult {
  /** From each request's scheduled send time to its answer: a late send (a busy event loop) counts as waiting. */
  latency: Summary;
  errors: number;
  outcomes: Record<string, number>;
  targetRate: number;
  /** Answers per second over the phase, from the first scheduled send to the last answer. */
  achievedRate: number;
  /** Largest lag of a send behind its schedule: when it is large, the generator, not the server, was the limit. */
  maxSendLagMs: number;
  /** Server-Timing spans of the answers, mean and p99 per span name, with the count of answers that had it. */
  spans: Record<string, { n: number; mean: number; p99: number }>;
  /** The p90 latency of the requests due in each second of the phase: a stall shows as a run of high seconds. */
  p90BySecond: number[];
}

/** What one request reports back, with the Server-Timing header when the answer had one. */
export interface TimedOutcome extends RequestOutcome {
  serverTiming?: string | null;
}

function parseServerTiming(header: string, into: Map<string, number[]>): void {
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    const dur = params.find((p) => p.trim().startsWith('dur='));
    if (!name || !dur) continue;
    const list = into.get(name) ?? [];
    list.push(Number(dur.trim().slice(4)));
    into.set(name, list);
  }
}

/** Sends `rate` requests a second for `seconds`, each on its own schedule; a thrown request counts as an error. */
export async function runOpenLoop(
  rate: number,
  seconds: number,
  request: (index: number) => Promise<TimedOutcome>,
): Promise<OpenLoopResult> {
  const count = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  const bySecond: number[][] = Array.from({ length: Math.ceil(seconds) }, () => []);
  const outcomes: Record<string, number> = {};
  const spans = new Map<string, number[]>();
  let errors = 0;
  let maxSendLagMs = 0;
  const inFlight: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    inFlight.push(
      (async () => {
        let outcome: TimedOutcome;
        try {
          outcome = await request(i);
        } catch (err) {
          // fetch says only "TypeError: fetch failed"; the cause's code (ECONNRESET, a timeout) says why.
          const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
          const code = typeof cause?.code === 'string' ? `:${cause.code}` : '';
          outcome = { ok: false, label: err instanceof Error ? `${err.name}${code}` : 'error' };
        }
        latencies.push(performance.now() - due);
        bySecond[Math.min(bySecond.length - 1, Math.floor(i / rate))]!.push(performance.now() - due);
        outcomes[outcome.label] = (outcomes[outcome.label] ?? 0) + 1;
        if (!outcome.ok) errors++;
        if (outcome.serverTiming) parseServerTiming(outcome.serverTiming, spans);
      })(),
    );
  }
  await Promise.all(inFlight);
  const wallMs = performance.now() - t0;
  const spanFigures: OpenLoopResult['spans'] = {};
  for (const [name, list] of spans) {
    const s = summarize(list);
    spanFigures[name] = { n: s.n, mean: s.mean, p99: s.p99 };
  }
  return {
    latency: summarize(latencies),
    errors,
    outcomes,
    targetRate: rate,
    achievedRate: (count / wallMs) * 1000,
    maxSendLagMs,
    spans: spanFigures,
    p90BySecond: bySecond.map((list) => (list.length === 0 ? Number.NaN : summarize(list).p90)),
  };
}
