/**
 * Log lines are written off the event loop (config/logger.ts); a process that exits at once, however it exits short
 * of SIGKILL, must still leave every line it logged: the last lines before a crash are the ones people read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const LINES = 5000;

/** Runs `ending` in a fresh process after it logged LINES lines; returns its stdout's JSON lines. */
function linesLeftBy(ending: string): Array<{ msg: string; i: number; component: string }> {
  const script = [
    `const { createLogger } = require(${JSON.stringify(require.resolve('../../config/logger'))});`,
    `const logger = createLogger('exit-test', 'info');`,
    `for (let i = 0; i < ${LINES}; i++) logger.info({ i }, 'line');`,
    ending,
  ].join('\n');
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; i: number; component: string });
}

for (const [how, ending] of [
  ['process.exit() right after logging', 'process.exit(3);'],
  ['an uncaught exception right after logging', "throw new Error('boom');"],
  ['the event loop running out', ''],
] as const) {
  test(`every line logged before ${how} is on stdout, in order`, () => {
    const lines = linesLeftBy(ending);
    assert.equal(lines.length, LINES, `${lines.length} of ${LINES} lines written`);
    assert.deepEqual(
      lines.map((l) => l.i),
      Array.from({ length: LINES }, (_x, i) => i),
    );
    assert.equal(lines[0]?.component, 'exit-test');
  });
}
