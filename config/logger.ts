/** Structured JSON-lines logging shared by every Capstan process. */
import pino, { type Logger } from 'pino';

/** A JSON-lines logger on stdout; `component` names the process on every line. */
export function createLogger(component: string, level: string): Logger {
  return pino({ level, base: { component, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type { Logger };
