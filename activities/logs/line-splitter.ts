/** Cuts a byte stream into whole lines of text, however the bytes arrive, without holding more than one long line. */
import { StringDecoder } from 'node:string_decoder';

/** Longest line kept as one; longer output without a newline is broken into lines this long, so memory stays bounded. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Whole lines, each ending with a newline, and how many. */
export interface LineBlock {
  text: string;
  lines: number;
}

/** One stream's splitter: `push` gives the lines a chunk completes, `end` the last unterminated one. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /** The lines completed by `chunk`; undefined when it completes none. */
  push(chunk: Buffer): LineBlock | undefined {
    const text = this.partial + this.decoder.write(chunk);
    const lastNewline = text.lastIndexOf('\n');
    const whole = text.slice(0, lastNewline + 1);
    this.partial = text.slice(lastNewline + 1);
    let out = breakLongLines(whole);
    // The partial line holds no newline, so every newline of `whole` came in `chunk` (a UTF-8 newline byte is
    // always a newline): counting bytes is far cheaper than counting in the text when lines are short.
    let lines = out === whole ? countNewlines(chunk) : undefined;
    if (this.partial.length > MAX_LINE_CHARS) {
      const cut = this.partial.length - (this.partial.length % MAX_LINE_CHARS);
      out += breakLongLines(this.partial.slice(0, cut)) + '\n';
      this.partial = this.partial.slice(cut);
      lines = undefined;
    }
    return out === '' ? undefined : block(out, lines);
  }

  /** The last line when the output did not end with a newline. */
  end(): LineBlock | undefined {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? undefined : block(`${breakLongLines(rest)}\n`);
  }
}

/** The text with a newline inserted every MAX_LINE_CHARS characters of any longer line. */
function breakLongLines(text: string): string {
  if (!hasLongLine(text)) return text;
  return text
    .split('\n')
    .map((line) => {
      const parts: string[] = [];
      for (let i = 0; i < line.length; i += MAX_LINE_CHARS) parts.push(line.slice(i, i + MAX_LINE_CHARS));
      return parts.length === 0 ? '' : parts.join('\n');
    })
    .join('\n');
}

/**
 * Whether a line of `text` is longer than MAX_LINE_CHARS, found by jumping from newline to the last newline
 * within MAX_LINE_CHARS + 1 characters, not by splitting: a read of short lines would otherwise be cut
 * into thousands of strings only to find none too long.
 */
function hasLongLine(text: string): boolean {
  // `end` is the newline before the run being looked at (-1: the text's start).
  for (let end = -1; end + MAX_LINE_CHARS + 1 < text.length;) {
    const next = text.lastIndexOf('\n', end + MAX_LINE_CHARS + 1);
    if (next <= end) return true;
    end = next;
  }
  return false;
}

/** `text` as a block; `lines` is its newline count when the caller already knows it. */
function block(text: string, lines?: number): LineBlock {
  // PostgreSQL text cannot hold NUL; binary output shows replacement characters instead.
  const clean = text.includes('\0') ? text.replace(/\0/g, '\uFFFD') : text;
  if (lines === undefined) {
    lines = 0;
    for (let i = clean.indexOf('\n'); i !== -1; i = clean.indexOf('\n', i + 1)) lines++;
  }
  return { text: clean, lines };
}

/**
 * The newline bytes in `bytes`, four at a time: a flood of short lines (`yes`) made a search per line the
 * worker's hottest code. Each word is XORed with four newlines, then its zero bytes are counted exactly
 * (the classic SWAR test: the high bit of each byte ends up set only where that byte was zero).
 */
export function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  let i = 0;
  const aligned = Math.min(bytes.length, (4 - (bytes.byteOffset % 4)) % 4);
  for (; i < aligned; i++) if (bytes[i] === 10) count++;
  const words = (bytes.length - i) >>> 2;
  if (words > 0) {
    const view = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
    for (let k = 0; k < words; k++) {
      const x = view[k]! ^ 0x0a0a0a0a;
      const zeros = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f);
      // One bit per zero byte, at bits 7, 15, 23 and 31: moved to the bottom of each byte, summed into the top one.
      count += Math.imul(zeros >>> 7, 0x01010101) >>> 24;
    }
    i += words * 4;
  }
  for (; i < bytes.length; i++) if (bytes[i] === 10) count++;
  return count;
}
