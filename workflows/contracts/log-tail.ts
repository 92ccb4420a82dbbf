/** The last lines a failed command printed, carried next to its exit code so a failure explains itself. Pure. */

/** The last lines of one stream of a failed command. */
export interface LogTail {
  /** The stream the lines come from: stderr, or stdout when stderr is empty. */
  stream: 'stderr' | 'stdout';
  /** The last lines, oldest first, without line endings. */
  lines: string[];
  /** True when earlier output was left out (more lines or bytes than the tail holds). */
  truncated: boolean;
}

/** Most lines a log tail holds. */
export const LOG_TAIL_MAX_LINES = 20;
/** Most characters a log tail holds, all lines together (about 2 KiB of text). */
export const LOG_TAIL_MAX_CHARS = 2048;
/** Most characters of the last line quoted in a failure message. */
const MESSAGE_LINE_MAX_CHARS = 200;

/**
 * The tail of stderr, or of stdout when stderr holds nothing but blanks; undefined when both are empty.
 * `streamTruncated` says the text given is itself already the end of a longer stream.
 */
export function logTailOf(output: {
  stdout?: string;
  stderr?: string;
  stdoutTruncated?: boolean;
  stderrTruncated?: boolean;
}): LogTail | undefined {
  const useStderr = (output.stderr ?? '').trim() !== '';
  const text = useStderr ? output.stderr! : (output.stdout ?? '');
  if (text.trim() === '') return undefined;
  const all = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const lines: string[] = [];
  let chars = 0;
  for (let i = all.length - 1; i >= 0 && lines.length < LOG_TAIL_MAX_LINES; i -= 1) {
    const line = all[i]!;
    if (chars + line.length > LOG_TAIL_MAX_CHARS) {
      // A single line longer than the whole budget still shows its end.
      if (lines.length === 0) lines.unshift(line.slice(line.length - LOG_TAIL_MAX_CHARS));
      break;
    }
    lines.unshift(line);
    chars += line.length + 1;
  }
  const streamTruncated = useStderr ? output.stderrTruncated : output.stdoutTruncated;
  return {
    stream: useStderr ? 'stderr' : 'stdout',
    lines,
    truncated: lines.length < all.length || lines[0] !== all[all.length - lines.length] || streamTruncated === true,
  };
}

/** The last non-blank line of a tail, shortened for a one-line failure message; undefined when none. */
export function lastLineOf(tail: LogTail | undefined): string | undefined {
  const line = [...(tail?.lines ?? [])]
    .reverse()
    .find((l) => l.trim() !== '')
    ?.trim();
  if (line === undefined) return undefined;
  return line.length > MESSAGE_LINE_MAX_CHARS ? `${line.slice(0, MESSAGE_LINE_MAX_CHARS - 1)}…` : line;
}
