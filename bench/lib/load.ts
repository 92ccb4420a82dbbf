/** A bounded closed-loop load generator: C workers share a fixed count of requests and stop when it is used up. */
import { since, summarize, type Summary } from './stats';

/** What one request reports back. */
export interface RequestOutcome {
  ok: boolean;
  /** Short label for the outcome, e.g. the HTTP status, to count the kinds of error. */
  label: string;
}

/** Latency figures, errors and throughput of one load phase. */
export interface LoadResult {
  latency: Summary;
  errors: number;
  /** Count per outcome label, e.g. { "202": 398, "500": 2 }. */
  outcomes: Record<string, number>;
  wallMs: number;
  throughput: number;
}

/** Issues `count` requests from `concurrency` parallel loops; a thrown request counts as an error, never stops the phase. */
export async function runLoad(
  count: number,
  concurrency: number,
  request: (index: number) => Promise<RequestOutcome>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const loop = async (): Promise<void> => {
    // Claiming the index synchronously is safe: the event loop runs one loop body at a time.
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      let outcome: RequestOutcome;
      try {
        outcome = await request(index);
      } catch (err) {
        outcome = { ok: false, label: err instanceof Error ? err.name : 'error' };
      }
      latencies.push(since(t0));
      outcomes[outcome.label] = (outcomes[outcome.label] ?? 0) + 1;
      if (!outcome.ok) errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, loop));
  const wallMs = since(t0);
  return { latency: summarize(latencies), errors, outcomes, wallMs, throughput: (count / wallMs) * 1000 };
}
