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
    let whole = text.slice(0, lastNewline + 1);
    this.partial = text.slice(lastNewline + 1);
    if (this.partial.length > MAX_LINE_CHARS) {
      const cut = this.partial.length - (this.partial.length % MAX_LINE_CHARS);
      whole += breakLongLines(this.partial.slice(0, cut)) + '\n';
      this.partial = this.partial.slice(cut);
    }
    return whole === '' ? undefined : block(breakLongLines(whole));
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
  if (text.length <= MAX_LINE_CHARS) return text;
  const lines = text.split('\n');
  if (lines.every((line) => line.length <= MAX_LINE_CHARS)) return text;
  return lines
    .map((line) => {
      const parts: string[] = [];
      for (let i = 0; i < line.length; i += MAX_LINE_CHARS) parts.push(line.slice(i, i + MAX_LINE_CHARS));
      return parts.length === 0 ? '' : parts.join('\n');
    })
    .join('\n');
}

function block(text: string): LineBlock {
  // PostgreSQL text cannot hold NUL; binary output shows replacement characters instead.
  const clean = text.includes('\0') ? text.replace(/\0/g, '\uFFFD') : text;
  let lines = 0;
  for (let i = clean.indexOf('\n'); i !== -1; i = clean.indexOf('\n', i + 1)) lines++;
  return { text: clean, lines };
}
