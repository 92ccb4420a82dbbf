/**
 * Where a child's output goes under `npm start`: every line into its log file; to the terminal, only
 * what is meant for people (plain text, and each warning or error as one line), unless verbose.
 */
import type { Readable } from 'node:stream';
import type { WriteStream } from 'node:fs';

/** pino's numeric levels, from `warn` up, as the words people read. */
const LEVEL_NAMES: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };

/** Plain text ranks with errors: it is what a process prints for people when it fails (or the admin token). */
const PLAIN_TEXT_LEVEL = 50;

/** The same warning from the same process is printed at most once in this window; the log file has every one. */
const REPEAT_WINDOW_MS = 60_000;

/** How one child's lines are routed. */
export interface ChildOutputOptions {
  /** Names the process in terminal lines, e.g. `worker general`. */
  label: string;
  logFile: WriteStream;
  /** Also echo every raw line (the JSON logs) to the terminal. */
  verbose: boolean;
  /** Writes one line to the terminal. */
  print: (line: string) => void;
  /** While true (shutting down, when connections dropping is expected) warnings stay in the file only. */
  quiet?: () => boolean;
}

/** Routes the lines of a child's stdout and stderr as the options say. */
export function routeChildOutput(streams: Array<Readable | null>, options: ChildOutputOptions): void {
  const repeats = new Map<string, { since: number; suppressed: number }>();
  const onLine = (line: string): void => {
    options.logFile.write(`${line}\n`);
    if (options.verbose) return options.print(line);
    const shown = terminalLine(line, options.label);
    if (shown === undefined || (shown.level < 50 && options.quiet?.())) return;
    const seen = repeats.get(shown.key);
    const now = Date.now();
    if (seen && now - seen.since < REPEAT_WINDOW_MS) {
      seen.suppressed += 1;
      return;
    }
    const more = seen && seen.suppressed > 0 ? ` (${seen.suppressed} more like it in ${options.logFile.path})` : '';
    repeats.set(shown.key, { since: now, suppressed: 0 });
    options.print(`${shown.text}${more}`);
  };
  for (const stream of streams) {
    if (!stream) continue;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') onLine(line);
    });
    stream.on('end', () => {
      if (partial !== '') onLine(partial);
      partial = '';
    });
  }
}

/**
 * The terminal's version of one line, or undefined for a log line below warn. Plain text is for people
 * already (the admin token, a crash message) and passes, named by its process; `key` groups repeats; `level` is pino's.
 */
export function terminalLine(line: string, label: string): { text: string; key: string; level: number } | undefined {
  const entry = parseLogLine(line);
  if (entry === undefined) {
    // A child's own "[capstan] …" lines (the admin token, a progress line) are named by the child instead.
    const text = `[${label}] ${line.replace(/^\[capstan\] /, '')}`;
    return { text, key: text, level: PLAIN_TEXT_LEVEL };
  }
  if (entry.level < 40) return undefined;
  const level = LEVEL_NAMES[entry.level] ?? 'error';
  const cause = entry.errMessage && entry.errMessage !== entry.msg ? `: ${entry.errMessage}` : '';
  const context = entry.context.length > 0 ? ` (${entry.context.join(', ')})` : '';
  const text = `[${label}] ${level}: ${oneLine(`${entry.msg}${cause}`)}${context}`;
  return { text, key: `${level}:${entry.msg}`, level: entry.level };
}

/** Fields every line carries, which say nothing about this one. */
const ROUTINE_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'err', 'component', 'name']);
/** Context fields shown at most, so a warning stays one readable line. */
const MAX_CONTEXT_FIELDS = 4;

/** A pino JSON line's level, message, error message and plain context fields; undefined when the line is not one. */
function parseLogLine(
  line: string,
): { level: number; msg: string; errMessage?: string; context: string[] } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as Record<string, unknown> & { err?: { message?: unknown } };
    if (typeof parsed.level !== 'number') return undefined;
    const errMessage = typeof parsed.err?.message === 'string' ? parsed.err.message : undefined;
    // A warning such as "… generated in this file" names the file in a field: people need it too.
    const context = Object.entries(parsed)
      .filter(([key, value]) => !ROUTINE_FIELDS.has(key) && ['string', 'number', 'boolean'].includes(typeof value))
      .slice(0, MAX_CONTEXT_FIELDS)
      .map(([key, value]) => `${key}=${String(value)}`);
    return { level: parsed.level, msg: typeof parsed.msg === 'string' ? parsed.msg : '', errMessage, context };
  } catch {
    return undefined;
  }
}

/** Multi-line messages (stack traces, Go errors) shortened to their first line. */
function oneLine(text: string): string {
  const first = text.split('\n')[0] ?? '';
  return first.length > 300 ? `${first.slice(0, 300)}…` : first;
}
