/** What `npm start` shows of its children's output: plain text, warnings and errors as one line each, nothing below. */
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { routeChildOutput, terminalLine } from '../../cli/child-output';

const line = (level: number, msg: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ level, time: '2026-01-01T00:00:00.000Z', component: 'x', pid: 1, ...extra, msg });

test('a warning or an error is one plain line naming the process; info and debug stay in the file', () => {
  const dropped = terminalLine(line(40, 'database connection dropped'), 'worker general');
  assert.equal(dropped?.text, '[worker general] warn: database connection dropped');
  const err = { type: 'Error', message: 'no Go toolchain\n  at x', stack: '...' };
  const failed = terminalLine(line(50, 'Pulumi CLI unavailable', { err }), 'worker general');
  assert.equal(failed?.text, '[worker general] error: Pulumi CLI unavailable: no Go toolchain');
  const named = terminalLine(line(40, 'passphrase generated in this file', { file: '/d/passphrase' }), 'api');
  assert.equal(named?.text, '[api] warn: passphrase generated in this file (file=/d/passphrase)');
  assert.equal(terminalLine(line(30, 'API listening'), 'api'), undefined);
  assert.equal(terminalLine(line(20, 'debug'), 'api'), undefined);
});

test('plain text passes as it is, named by its process', () => {
  const token = terminalLine('[capstan] admin token (shown once, store it now): cap_x', 'api');
  assert.equal(token?.text, '[api] admin token (shown once, store it now): cap_x');
  const crash = terminalLine('node-class worker failed: boom', 'worker gpu');
  assert.equal(crash?.text, '[worker gpu] node-class worker failed: boom');
  assert.equal(terminalLine('{not json', 'api')?.text, '[api] {not json');
});

test('every line reaches the file; a repeated warning reaches the terminal once; verbose shows all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-child-output-'));
  const run = async (verbose: boolean): Promise<{ printed: string[]; file: string }> => {
    const file = join(dir, `${verbose}.log`);
    const log = createWriteStream(file);
    const stdout = new PassThrough();
    const printed: string[] = [];
    routeChildOutput([stdout], { label: 'api', logFile: log, verbose, print: (l) => printed.push(l) });
    // Written in pieces that split lines, as a pipe delivers them.
    const text = [line(30, 'hello'), line(40, 'slow'), line(40, 'slow'), 'plain'].join('\n') + '\n';
    stdout.write(text.slice(0, 50));
    stdout.end(text.slice(50));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => log.end(r));
    return { printed, file: readFileSync(file, 'utf8') };
  };
  const quiet = await run(false);
  assert.deepEqual(quiet.printed, ['[api] warn: slow', '[api] plain']);
  assert.equal(quiet.file.split('\n').filter(Boolean).length, 4);
  const verbose = await run(true);
  assert.equal(verbose.printed.length, 4);
  assert.equal(verbose.printed[0], line(30, 'hello'));
});
