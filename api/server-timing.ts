/** Server-Timing spans: where one request waited (token lookup, audit write, run record, Temporal calls). */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler, Response } from 'express';

interface Span {
  name: string;
  ms: number;
  desc?: string;
}

const current = new AsyncLocalStorage<Span[]>();

/** Runs `work` and adds its duration to the current request's `Server-Timing` header under `name`. */
export async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const spans = current.getStore();
  if (!spans) return work();
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    spans.push({ name, ms: performance.now() - t0 });
  }
}

/** Notes an event without a duration (e.g. a cache hit) in the current request's `Server-Timing` header. */
export function mark(name: string, desc: string): void {
  current.getStore()?.push({ name, ms: 0, desc });
}

function header(spans: readonly Span[]): string {
  return spans
    .map((s) => `${s.name};dur=${s.ms.toFixed(1)}${s.desc === undefined ? '' : `;desc="${s.desc}"`}`)
    .join(', ');
}

/**
 * Collects the spans the rest of the request records and sends them in `Server-Timing` (W3C), so a
 * client or a bench sees where the time went without a profiler. Durations only, never values.
 */
export function serverTiming(): RequestHandler {
  return (_req, res, next) => {
    const spans: Span[] = [];
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    // Set just before the head goes out: by then every awaited span of the handler has ended.
    res.writeHead = ((...args: unknown[]) => {
      if (spans.length > 0 && !res.headersSent) res.setHeader('Server-Timing', header(spans));
      return writeHead(...args);
    }) as Response['writeHead'];
    current.run(spans, next);
  };
}
