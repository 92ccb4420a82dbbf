/** Turns stored log chunks into the text a reader sees: filtered by stream and lines, with cuts said where they are. */
import type { LogAttempt, LogChunk, LogRun } from '../../db/stores/task-log-store';

/** What a rendering keeps between chunks: the line and byte expected next, so a jump (a cut) is noticed. */
export interface RenderPosition {
  nextLine: number;
  nextByte: number;
}

/** How lines are chosen and shown. */
export interface RenderOptions {
  stream?: 'stdout' | 'stderr';
  fromLine: number;
  toLine: number;
  timestamps: boolean;
}

const STREAM_NAMES: Record<LogRun[1], string> = { o: 'stdout', e: 'stderr', c: 'capstan' };

/** One line of a chunk with its number, stream and time. */
export interface LogLine {
  no: number;
  stream: LogRun[1];
  ms: number;
  text: string;
}

/** The lines of a chunk, each with its stream and time. */
export function linesOf(chunk: LogChunk): LogLine[] {
  const texts = chunk.body.split('\n');
  texts.pop(); // the body ends with a newline
  const lines: LogLine[] = [];
  let i = 0;
  for (const [count, stream, ms] of chunk.runs) {
    for (let k = 0; k < count && i < texts.length; k++, i++)
      lines.push({ no: chunk.firstLine + i, stream, ms, text: texts[i]! });
  }
  return lines;
}

/** The chunk's text as shown; `position` moves past it. A jump in line numbers becomes a line saying what was cut. */
export function renderChunk(
  chunk: LogChunk,
  attempt: LogAttempt,
  options: RenderOptions,
  position: RenderPosition,
): string {
  let out = '';
  if (chunk.firstLine > position.nextLine && position.nextLine >= options.fromLine) {
    out += cutLine(chunk.firstLine - position.nextLine, chunk.byteOffset - position.nextByte, attempt.limitBytes);
  }
  for (const line of linesOf(chunk)) {
    if (line.no < options.fromLine || line.no > options.toLine) continue;
    if (options.stream && STREAM_NAMES[line.stream] !== options.stream) continue;
    out += options.timestamps ? `${stamp(attempt, line)} ${line.text}\n` : `${line.text}\n`;
  }
  const lineCount = chunk.runs.reduce((n, [count]) => n + count, 0);
  position.nextLine = chunk.firstLine + lineCount;
  position.nextByte = chunk.byteOffset + Buffer.byteLength(chunk.body);
  return out;
}

/** The last `count` lines (of the stream, when one is named) of the chunks given newest first, as shown. */
export function renderTail(
  newestFirst: LogChunk[],
  attempt: LogAttempt,
  options: RenderOptions,
  count: number,
): { text: string; position: RenderPosition } {
  const picked: LogLine[] = [];
  for (const chunk of newestFirst) {
    const lines = linesOf(chunk).filter((l) => !options.stream || STREAM_NAMES[l.stream] === options.stream);
    picked.unshift(...lines.slice(-(count - picked.length)));
    if (picked.length >= count) break;
  }
  const newest = newestFirst[0];
  const position = newest
    ? {
        nextLine: newest.firstLine + newest.runs.reduce((n, [c]) => n + c, 0),
        nextByte: newest.byteOffset + Buffer.byteLength(newest.body),
      }
    : { nextLine: 1, nextByte: 0 };
  const text = picked.map((l) => (options.timestamps ? `${stamp(attempt, l)} ${l.text}\n` : `${l.text}\n`)).join('');
  return { text, position };
}

function stamp(attempt: LogAttempt, line: LogLine): string {
  return `${new Date(attempt.startedAt.getTime() + line.ms).toISOString()} ${STREAM_NAMES[line.stream]}`;
}

/** The line standing where the middle of a long log was cut. */
export function cutLine(lines: number, bytes: number, limitBytes: number): string {
  return `[capstan] ${lines} lines (${bytes} bytes) cut here: an attempt keeps at most ${limitBytes} bytes of log (CAPSTAN_LOG_MAX_BYTES), its first and last halves\n`;
}
