/** The tail a failed command carries: which stream, how many lines, how it is bounded. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOG_TAIL_MAX_CHARS, LOG_TAIL_MAX_LINES, lastLineOf, logTailOf } from '../../workflows/contracts/log-tail';

test('stderr is preferred; stdout is used when stderr holds only blanks', () => {
  assert.deepEqual(logTailOf({ stdout: 'out\n', stderr: 'a\nb\n' }), {
    stream: 'stderr',
    lines: ['a', 'b'],
    truncated: false,
  });
  assert.deepEqual(logTailOf({ stdout: 'x\r\ny\n', stderr: ' \n' }), {
    stream: 'stdout',
    lines: ['x', 'y'],
    truncated: false,
  });
  assert.equal(logTailOf({ stdout: '', stderr: '' }), undefined);
  assert.equal(logTailOf({}), undefined);
});

test('the tail keeps the last lines within both bounds and says it cut', () => {
  const many = Array.from({ length: 50 }, (_v, i) => `line ${i}`).join('\n');
  const byLines = logTailOf({ stderr: many })!;
  assert.equal(byLines.lines.length, LOG_TAIL_MAX_LINES);
  assert.equal(byLines.lines.at(-1), 'line 49');
  assert.equal(byLines.truncated, true);

  const wide = Array.from({ length: 10 }, (_v, i) => `${i}`.repeat(500)).join('\n');
  const byChars = logTailOf({ stderr: wide })!;
  assert.ok(byChars.lines.join('\n').length <= LOG_TAIL_MAX_CHARS);
  assert.equal(byChars.lines.at(-1), '9'.repeat(500));
  assert.equal(byChars.truncated, true);

  const oneHuge = logTailOf({ stderr: `${'a'.repeat(5000)}END` })!;
  assert.equal(oneHuge.lines.length, 1);
  assert.equal(oneHuge.lines[0]!.length, LOG_TAIL_MAX_CHARS);
  assert.ok(oneHuge.lines[0]!.endsWith('END'));
  assert.equal(oneHuge.truncated, true);
});

test('a stream the worker already cut is reported as truncated', () => {
  assert.equal(logTailOf({ stderr: 'last\n', stderrTruncated: true })!.truncated, true);
  assert.equal(logTailOf({ stdout: 'last\n', stderr: '', stderrTruncated: true })!.truncated, false);
});

test('the message quotes the last non-blank line, shortened', () => {
  assert.equal(
    lastLineOf(logTailOf({ stderr: 'first\n  error - missing semicolon  \n\n' })),
    'error - missing semicolon',
  );
  assert.equal(lastLineOf(undefined), undefined);
  const long = lastLineOf(logTailOf({ stderr: 'x'.repeat(500) }))!;
  assert.equal(long.length, 200);
  assert.ok(long.endsWith('…'));
});
