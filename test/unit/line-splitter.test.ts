/** Task-log lines from a byte stream: counts, long lines, characters cut between reads, NULs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countNewlines, LineSplitter, MAX_LINE_CHARS } from '../../activities/logs/line-splitter';

/** Every block the splitter gives for `reads`, joined, and the lines it counted. */
function split(reads: Buffer[]): { text: string; lines: number } {
  const splitter = new LineSplitter();
  let text = '';
  let lines = 0;
  for (const block of [...reads.map((r) => splitter.push(r)), splitter.end()]) {
    if (!block) continue;
    text += block.text;
    lines += block.lines;
  }
  return { text, lines };
}

/** `bytes` cut into reads of the given sizes, over and over. */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const reads: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    reads.push(bytes.subarray(at, at + size));
    at += size;
  }
  return reads;
}

test('countNewlines counts newline bytes at every alignment and length', () => {
  const bytes = Buffer.from('y\n\n€a\nb\n😀\n'.repeat(50) + 'tail');
  for (let from = 0; from < 9; from++) {
    for (const to of [from, from + 1, from + 3, from + 7, bytes.length - 1, bytes.length]) {
      const part = bytes.subarray(from, to);
      const expected = [...part].filter((b) => b === 10).length;
      assert.equal(countNewlines(part), expected, `bytes ${from}..${to}`);
    }
  }
});

test('short lines in reads of any size give every line once, counted', () => {
  const text = Array.from({ length: 5000 }, (_v, i) => (i % 3 === 0 ? 'y' : `line ${i} é€😀`)).join('\n') + '\n';
  for (const sizes of [[65536], [1], [7, 13, 4096], [3, 65535]]) {
    const out = split(cut(Buffer.from(text), sizes));
    assert.equal(out.text, text, `reads of ${sizes.join(', ')}`);
    assert.equal(out.lines, 5000);
  }
});

test('a line longer than MAX_LINE_CHARS is broken, and each piece counts as a line', () => {
  const long = 'x'.repeat(MAX_LINE_CHARS * 2 + 10);
  const text = `a\n${long}\nb\n${'y\n'.repeat(40_000)}`;
  const out = split(cut(Buffer.from(text), [65536, 100]));
  const lines = out.text.split('\n').slice(0, -1);
  assert.equal(out.lines, lines.length);
  assert.equal(lines.length, 2 + 3 + 40_000);
  assert.ok(lines.every((line) => line.length <= MAX_LINE_CHARS));
  assert.equal(lines.slice(1, 4).join(''), long);
  // Exactly MAX_LINE_CHARS is not too long.
  const edge = `${'z'.repeat(MAX_LINE_CHARS)}\n`;
  assert.deepEqual(split([Buffer.from(edge)]), { text: edge, lines: 1 });
});

test('NUL becomes a replacement character and an unterminated last line gets its newline', () => {
  assert.deepEqual(split([Buffer.from('a\0b\nc')]), { text: 'a\uFFFDb\nc\n', lines: 2 });
});
