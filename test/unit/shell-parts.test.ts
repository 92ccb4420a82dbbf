/** The shell activity's parts on their own: output file parsing, bounded tails, process groups. */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { OutputFileError, parseOutputFile } from '../../activities/shell/output-file';
import { launcherPid } from '../../activities/shell/launcher-client';
import { runProcessGroup, type ProcessGroupOptions } from '../../activities/shell/process-group';
import { TailBuffer } from '../../activities/shell/tail-buffer';
import { backoffMs } from '../../workflows/task-workflow';
import { assertProcessGone } from '../helpers/processes';

describe('parseOutputFile', () => {
  test('reads key=value lines, heredoc blocks, and lets later keys win', () => {
    const text = 'a=1\n\nb=x=y\nmulti<<END\nline 1\nline 2\nEND\na=2\n';
    assert.deepEqual(parseOutputFile(text), { a: '2', b: 'x=y', multi: 'line 1\nline 2' });
  });
  test('names the bad line', () => {
    assert.throws(
      () => parseOutputFile('ok=1\njust text\n'),
      (err: Error) => err instanceof OutputFileError && /line 2/.test(err.message),
    );
    assert.throws(() => parseOutputFile('x<<EOF\nnever closed\n'), /line 1: no closing "EOF"/);
    assert.throws(() => parseOutputFile('bad name=1\n'), /"bad name" is not a valid output name/);
    assert.throws(() => parseOutputFile('ok=1\n__proto__=x\n'), /line 2: "__proto__" is reserved/);
    assert.throws(() => parseOutputFile('__proto__<<EOF\nx\nEOF\n'), /"__proto__" is reserved/);
  });
});

describe('TailBuffer', () => {
  test('keeps only the last bytes and counts all of them', () => {
    const tail = new TailBuffer(10);
    for (let i = 0; i < 100; i++) tail.push(Buffer.from(`${i % 10}`));
    assert.equal(tail.text(), '0123456789');
    assert.equal(tail.totalBytes, 100);
    assert.equal(tail.truncated, true);
  });
  test('does not mangle a multi-byte character cut at the start', () => {
    const tail = new TailBuffer(5);
    tail.push(Buffer.from('ééé')); // 6 bytes: the first é is cut in half
    assert.equal(tail.text(), 'éé');
  });
  test('is not truncated below the limit', () => {
    const tail = new TailBuffer(100);
    tail.push(Buffer.from('hi'));
    assert.equal(tail.truncated, false);
    assert.equal(tail.text(), 'hi');
  });
});

describe('runProcessGroup', () => {
  const base = (command: string, extra: Partial<ProcessGroupOptions> = {}): ProcessGroupOptions => {
    const out: Buffer[] = [];
    return {
      file: '/bin/sh',
      args: ['-c', command],
      cwd: '/tmp',
      env: process.env,
      timeoutMs: 30_000,
      signal: new AbortController().signal,
      killGraceMs: 500,
      onStdout: (c) => out.push(c),
      onStderr: () => undefined,
      ...extra,
    };
  };

  test('reports the exit code and all output', async () => {
    const chunks: Buffer[] = [];
    const exit = await runProcessGroup({ ...base('seq 1 50000; exit 4'), onStdout: (c) => chunks.push(c) });
    assert.equal(exit.exitCode, 4);
    assert.equal(Buffer.concat(chunks).toString().trim().split('\n').length, 50000);
  });

  test('a timeout kills the whole group, grandchildren included', async () => {
    const pidFile = `/tmp/capstan-pg-${process.pid}`;
    const exit = await runProcessGroup(base(`sleep 300 & echo $! > ${pidFile}; sleep 300`, { timeoutMs: 300 }));
    assert.equal(exit.timedOut, true);
    assert.equal(exit.exitCode, 128 + 15, 'ended by SIGTERM');
    await assertProcessGone(Number(readFileSync(pidFile, 'utf8')));
  });

  test('a command that ignores SIGTERM is killed after the grace period', async () => {
    const exit = await runProcessGroup(base("trap '' TERM; sleep 300", { timeoutMs: 200, killGraceMs: 300 }));
    assert.equal(exit.exitCode, 128 + 9, 'ended by SIGKILL');
  });

  test('aborting kills the group', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const exit = await runProcessGroup(base('sleep 300', { signal: controller.signal }));
    assert.equal(exit.aborted, true);
  });

  test('background processes left behind are killed when the command exits', async () => {
    const pidFile = `/tmp/capstan-pg-bg-${process.pid}`;
    const exit = await runProcessGroup(base(`sleep 300 & echo $! > ${pidFile}; exit 0`));
    assert.equal(exit.exitCode, 0);
    await assertProcessGone(Number(readFileSync(pidFile, 'utf8')));
  });

  test('a missing working directory is an error, not a hang', async () => {
    await assert.rejects(runProcessGroup(base('true', { cwd: '/definitely/not/here' })), /ENOENT/);
  });

  test('a launcher that dies fails its running commands, kills their groups, and the next command gets a new one', async () => {
    const pidFile = `/tmp/capstan-pg-launcher-${process.pid}`;
    rmSync(pidFile, { force: true });
    const running = runProcessGroup(base(`echo $$ > ${pidFile}; sleep 300`));
    let commandPid = 0;
    while (commandPid === 0) {
      await new Promise((r) => setTimeout(r, 20));
      commandPid = Number(readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }) || 0);
    }
    const first = launcherPid();
    assert.ok(first !== undefined, 'a launcher runs while a command does');
    process.kill(first, 'SIGKILL');
    await assert.rejects(running, /command launcher exited/);
    await assertProcessGone(commandPid);
    const exit = await runProcessGroup(base('exit 7'));
    assert.equal(exit.exitCode, 7);
    assert.notEqual(launcherPid(), first);
  });
});

describe('task retry backoff', () => {
  test('grows by the coefficient and stops at the cap', () => {
    const retry = { maxAttempts: 10, initialIntervalSeconds: 1, backoffCoefficient: 3, maxIntervalSeconds: 20 };
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffMs(retry, n)),
      [1000, 3000, 9000, 20000],
    );
  });
});
