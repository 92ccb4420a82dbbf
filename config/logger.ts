/** Structured JSON-lines logging shared by every Capstan process. */
import pino, { type Logger } from 'pino';

/**
 * A JSON-lines logger on stdout; `component` names the process on every line. Lines are written off the event
 * loop (lines logged while a write is under way go out together in the next one), and whatever is still
 * buffered is written synchronously when the process exits, however it exits short of SIGKILL: a synchronous
 * write per line cost the API a quarter of its busy CPU time at 200 requests a second (docs/performance.md).
 */
export function createLogger(component: string, level: string): Logger {
  return pino(
    { level, base: { component, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 1, sync: false }),
  );
}

export type { Logger };
