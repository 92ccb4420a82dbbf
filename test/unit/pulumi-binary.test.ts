/** The Pulumi CLI bootstrap: the pinned version only, each source in order, one error listing them all. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../../config/paths';
import {
  cachedPulumiPath,
  PULUMI_CLI_VERSION,
  PulumiBinaryError,
  resolvePulumiBinary,
} from '../../toolchain/pulumi-binary';

/** A script standing in for `pulumi`, printing `version` as the real CLI does. */
function fakePulumi(path: string, version: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n[ "$1" = version ] && echo ${version}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('the CLI version is the one @pulumi/pulumi is pinned to in package.json', () => {
  const pinned = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  ).dependencies['@pulumi/pulumi'];
  assert.equal(pinned, PULUMI_CLI_VERSION, 'an exact pin, equal to PULUMI_CLI_VERSION');
});

describe('resolvePulumiBinary', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-pulumi-bin-'));
  const emptyCache = join(scratch, 'empty-cache');
  const offline = async (): Promise<string> => {
    throw new Error('getaddrinfo ENOTFOUND get.pulumi.com');
  };

  test('an explicit path comes first, and a bad one names the variable', async () => {
    const configured = fakePulumi(join(scratch, 'configured', 'pulumi'), 'v1.0.0');
    assert.deepEqual(
      await resolvePulumiBinary({ configuredPath: configured, cacheDir: emptyCache, env: { PATH: '' } }),
      { path: configured, source: 'configured' },
    );
    await assert.rejects(
      resolvePulumiBinary({ configuredPath: join(scratch, 'missing'), cacheDir: emptyCache, env: { PATH: '' } }),
      /CAPSTAN_PULUMI_BIN=.*missing is not an executable file/,
    );
  });

  test('a pulumi of the pinned version on PATH is used; another version is passed over for the cache', async () => {
    const pinned = fakePulumi(join(scratch, 'pinned', 'pulumi'), `v${PULUMI_CLI_VERSION}`);
    assert.deepEqual(await resolvePulumiBinary({ cacheDir: emptyCache, env: { PATH: join(pinned, '..') } }), {
      path: pinned,
      source: 'path',
    });
    const cache = join(scratch, 'cache');
    const cached = fakePulumi(cachedPulumiPath(cache), `v${PULUMI_CLI_VERSION}`);
    const old = fakePulumi(join(scratch, 'old', 'pulumi'), 'v3.100.0');
    assert.deepEqual(await resolvePulumiBinary({ cacheDir: cache, env: { PATH: join(old, '..') } }), {
      path: cached,
      source: 'cache',
    });
  });

  test('with no Go and no internet, one error lists every way and why each failed', async () => {
    const old = fakePulumi(join(scratch, 'old2', 'pulumi'), 'v3.100.0');
    await assert.rejects(
      resolvePulumiBinary({ cacheDir: emptyCache, env: { PATH: join(old, '..') }, install: offline }),
      (err: Error) => {
        assert.ok(err instanceof PulumiBinaryError);
        for (const part of [
          `${old} is v3.100.0`,
          join(emptyCache, 'pulumi', PULUMI_CLI_VERSION, 'bin', 'pulumi'),
          'no Go toolchain on PATH',
          'getaddrinfo ENOTFOUND get.pulumi.com',
          'CAPSTAN_PULUMI_BIN',
        ]) {
          assert.ok(err.message.includes(part), `message mentions ${part}:\n${err.message}`);
        }
        return true;
      },
    );
  });

  test('with no Go, the installer is the last resort and installs into the cache layout', async () => {
    let root = '';
    const installed = await resolvePulumiBinary({
      cacheDir: emptyCache,
      env: { PATH: '' },
      install: async (at) => {
        root = at;
        return fakePulumi(join(at, 'bin', 'pulumi'), `v${PULUMI_CLI_VERSION}`);
      },
    });
    assert.equal(root, join(emptyCache, 'pulumi', PULUMI_CLI_VERSION));
    assert.deepEqual(installed, { path: cachedPulumiPath(emptyCache), source: 'pulumi-install' });
  });
});
