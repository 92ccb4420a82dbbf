/** The Temporal CLI bootstrap tries each source in order and fails with one message listing them all. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cachedBinaryPath, resolveTemporalBinary, TemporalBinaryError } from '../../toolchain/temporal-binary';

function fakeBinary(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\necho fake\n');
  chmodSync(path, 0o755);
  return path;
}

describe('resolveTemporalBinary', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-bin-'));
  const emptyCache = join(scratch, 'empty-cache');
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('an explicit path comes first, and a bad one names the variable', async () => {
    const configured = fakeBinary(join(scratch, 'configured', 'temporal'));
    const onPath = fakeBinary(join(scratch, 'bin', 'temporal'));
    const found = await resolveTemporalBinary({
      configuredPath: configured,
      cacheDir: emptyCache,
      env: { PATH: join(onPath, '..') },
    });
    assert.deepEqual(found, { path: configured, source: 'configured' });
    await assert.rejects(
      resolveTemporalBinary({ configuredPath: join(scratch, 'missing'), cacheDir: emptyCache, env: { PATH: '' } }),
      /CAPSTAN_TEMPORAL_BIN=.*missing is not an executable file/,
    );
  });

  test('then `temporal` on PATH', async () => {
    const onPath = fakeBinary(join(scratch, 'bin2', 'temporal'));
    const found = await resolveTemporalBinary({
      cacheDir: emptyCache,
      env: { PATH: `/nonexistent:${join(onPath, '..')}` },
    });
    assert.deepEqual(found, { path: onPath, source: 'path' });
  });

  test('then the per-user cache', async () => {
    const cache = join(scratch, 'cache');
    const cached = fakeBinary(cachedBinaryPath(cache));
    const found = await resolveTemporalBinary({ cacheDir: cache, env: { PATH: '' } });
    assert.deepEqual(found, { path: cached, source: 'cache' });
  });

  test('with no Go and a failing download, one error lists every option and why each failed', async () => {
    const offline = async (): Promise<string> => {
      throw new Error('dns error: no network');
    };
    await assert.rejects(
      resolveTemporalBinary({ cacheDir: emptyCache, env: { PATH: '' }, download: offline }),
      (err: Error) => {
        assert.ok(err instanceof TemporalBinaryError);
        for (const part of [
          'CAPSTAN_TEMPORAL_BIN',
          '`temporal` on PATH',
          emptyCache,
          'go install github.com/temporalio/cli/cmd/temporal@v1.5.1',
          'no Go toolchain on PATH',
          "the Temporal SDK's download failed: dns error: no network",
        ]) {
          assert.ok(err.message.includes(part), `message mentions ${part}:\n${err.message}`);
        }
        return true;
      },
    );
  });

  test('with no Go, the download is the last resort', async () => {
    const downloaded = fakeBinary(join(scratch, 'downloaded', 'temporal'));
    const found = await resolveTemporalBinary({
      cacheDir: emptyCache,
      env: { PATH: '' },
      download: async () => downloaded,
    });
    assert.deepEqual(found, { path: downloaded, source: 'sdk-download' });
  });
});
