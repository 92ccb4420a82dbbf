/** Builds of a cached binary are claimed: a second builder, in this process or another, waits for the first's binary. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildIntoCache } from '../../toolchain/binary-chain';
import { claimFileOf } from '../../toolchain/build-lock';

const scratch = mkdtempSync(join(tmpdir(), 'capstan-build-lock-'));

/** A build that takes `ms` and writes an executable script, counting its runs. */
function slowBuild(ms: number, runs: { count: number }) {
  return async (dir: string): Promise<string> => {
    runs.count += 1;
    await new Promise((r) => setTimeout(r, ms));
    const file = join(dir, 'tool');
    writeFileSync(file, '#!/bin/sh\necho built\n');
    chmodSync(file, 0o755);
    return file;
  };
}

describe('buildIntoCache', () => {
  test('two builders of the same binary at once: one build, both get the binary, and the claim is gone', async () => {
    const target = join(scratch, 'same-process', 'tool');
    const runs = { count: 0 };
    const [a, b] = await Promise.all([
      buildIntoCache(target, 'building tool', slowBuild(1500, runs)),
      buildIntoCache(target, 'building tool', slowBuild(1500, runs)),
    ]);
    assert.deepEqual([a, b], [target, target]);
    assert.equal(runs.count, 1, 'the second builder waited instead of building');
    assert.equal(existsSync(claimFileOf(target)), false);
  });

  test('a builder in another process holds the claim: this one waits for its binary and builds nothing', async () => {
    const target = join(scratch, 'other-process', 'tool');
    const lockModule = require.resolve('../../toolchain/build-lock');
    // The other process claims the build, takes 2 s, puts the binary in place and releases the claim.
    const other = spawn(
      process.execPath,
      [
        '-e',
        `
      const { claimBuild } = require(${JSON.stringify(lockModule)});
      const fs = require('node:fs');
      fs.mkdirSync(${JSON.stringify(join(target, '..'))}, { recursive: true });
      claimBuild(${JSON.stringify(target)}).then(async (claim) => {
        if (!claim) process.exit(3);
        process.stdout.write('claimed\\n');
        await new Promise((r) => setTimeout(r, 2000));
        fs.writeFileSync(${JSON.stringify(target)}, '#!/bin/sh\\necho other\\n', { mode: 0o755 });
        await claim.release();
      });
    `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => other.stdout.once('data', () => resolve()));
    const runs = { count: 0 };
    assert.equal(await buildIntoCache(target, 'building tool', slowBuild(10, runs)), target);
    assert.equal(runs.count, 0);
    assert.equal(spawnSync(target, { encoding: 'utf8' }).stdout, 'other\n', "the binary is the other process's");
    await new Promise((resolve) => (other.exitCode !== null ? resolve(undefined) : other.once('exit', resolve)));
  });

  test('a claim left by a process that died is taken over', async () => {
    const target = join(scratch, 'stale', 'tool');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(join(target, '..'), { recursive: true });
    const owner = { pid: Number(dead.stdout), host: hostname(), startedAt: new Date().toISOString() };
    writeFileSync(claimFileOf(target), JSON.stringify(owner));
    const runs = { count: 0 };
    assert.equal(await buildIntoCache(target, 'building tool', slowBuild(10, runs)), target);
    assert.equal(runs.count, 1);
    assert.equal(existsSync(claimFileOf(target)), false);
  });

  test('when the build that was waited for fails, the waiter says so instead of building again', async () => {
    const target = join(scratch, 'failing', 'tool');
    const runs = { count: 0 };
    const failing = buildIntoCache(target, 'building tool', async () => {
      runs.count += 1;
      await new Promise((r) => setTimeout(r, 1500));
      throw new Error('go build exited with 1');
    });
    await new Promise((r) => setTimeout(r, 200));
    const waiting = buildIntoCache(target, 'building tool', slowBuild(10, runs));
    await assert.rejects(failing, /go build exited with 1/);
    await assert.rejects(waiting, /another process's build of .* ended without a binary/);
    assert.equal(runs.count, 1);
  });
});
