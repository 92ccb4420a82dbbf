/**
 * Finds or obtains the Temporal CLI: configured path, PATH, the per-user cache, a build from the Go
 * module proxy, then the SDK's own download. The start command and the tests share this bootstrap.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { buildIntoCache, findOnPath, firstBinary, isExecutable, runGo } from './binary-chain';
import { startProgress } from './progress';

/** The CLI release Capstan pins: its server is 1.29.1, and it is the last tag `go install` accepts. */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

/** Where a binary came from, for the startup log. */
export type BinarySource = 'configured' | 'path' | 'cache' | 'go-build' | 'sdk-download';

/** A usable Temporal CLI. */
export interface TemporalBinary {
  path: string;
  source: BinarySource;
}

/** Settings that steer where the binary comes from. */
export interface ResolveTemporalOptions {
  /** CAPSTAN_TEMPORAL_BIN, if set. */
  configuredPath?: string;
  cacheDir: string;
  env?: NodeJS.ProcessEnv;
  /** The last resort; replaceable so tests can stand in for a network they do not have. Returns a binary path. */
  download?: (cacheDir: string) => Promise<string>;
}

/** No way to obtain the CLI worked; the message lists every way and why each failed. */
export class TemporalBinaryError extends Error {}

/** Returns a Temporal CLI binary, building or downloading it into the cache when needed. */
export async function resolveTemporalBinary(options: ResolveTemporalOptions): Promise<TemporalBinary> {
  const env = options.env ?? process.env;
  if (options.configuredPath !== undefined) {
    if (!isExecutable(options.configuredPath)) {
      throw new TemporalBinaryError(`CAPSTAN_TEMPORAL_BIN=${options.configuredPath} is not an executable file`);
    }
    return { path: options.configuredPath, source: 'configured' };
  }
  const cached = cachedBinaryPath(options.cacheDir);
  return firstBinary<BinarySource>(
    `the Temporal CLI v${TEMPORAL_CLI_VERSION}`,
    [
      { source: 'path', label: '`temporal` on PATH', find: () => findOnPath('temporal', env.PATH ?? '') },
      { source: 'cache', label: `the cache at ${cached}`, find: () => (isExecutable(cached) ? cached : undefined) },
      {
        source: 'go-build',
        label: `go install ${MODULE}@v${TEMPORAL_CLI_VERSION}`,
        find: () => buildWithGo(cached, env),
      },
      {
        source: 'sdk-download',
        label: "the Temporal SDK's download (needs internet)",
        find: () =>
          (options.download ?? downloadWithSdk)(options.cacheDir).catch((err: Error) => {
            throw new Error(`the Temporal SDK's download failed: ${err.message}`);
          }),
      },
    ],
    'Fix one: set CAPSTAN_TEMPORAL_BIN to a temporal binary, put one on PATH, install Go 1.25+, or allow internet access.',
    (message) => new TemporalBinaryError(message),
  );
}

/** Path of the cached binary for the pinned version. */
export function cachedBinaryPath(cacheDir: string): string {
  return join(cacheDir, 'temporal', TEMPORAL_CLI_VERSION, 'temporal');
}

async function buildWithGo(target: string, env: NodeJS.ProcessEnv): Promise<string> {
  const go = findOnPath('go', env.PATH ?? '');
  if (!go) throw new Error('no Go toolchain on PATH to build it from the Go module proxy');
  return buildIntoCache(
    target,
    `building Temporal CLI v${TEMPORAL_CLI_VERSION} with Go (takes minutes on a cold module cache)`,
    async (scratch, tick) => {
      await runGo(
        go,
        [
          'install',
          '-v',
          '-trimpath',
          '-ldflags',
          `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
          `${MODULE}@v${TEMPORAL_CLI_VERSION}`,
        ],
        { env: { ...env, GOBIN: scratch, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' } },
        tick,
      );
      return join(scratch, 'temporal');
    },
  );
}

/** Lets the SDK download the CLI (it starts a throwaway server to do so), then keeps the file in our cache. */
export async function downloadWithSdk(cacheDir: string): Promise<string> {
  const downloadDir = join(cacheDir, 'temporal', 'sdk-download');
  await mkdir(downloadDir, { recursive: true });
  const progress = startProgress(`downloading Temporal CLI v${TEMPORAL_CLI_VERSION} through the Temporal SDK`);
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir, version: `v${TEMPORAL_CLI_VERSION}` } },
    });
    await env.teardown();
  } catch (err) {
    progress.stop('failed');
    throw err;
  }
  const found = readdirSync(downloadDir)
    .map((f) => join(downloadDir, f))
    .find((f) => statSync(f).isFile() && isExecutable(f));
  if (!found) throw new Error(`the SDK reported success but left no executable in ${downloadDir}`);
  // Into the cache path, so the next start finds it in step 3 instead of downloading again.
  const target = cachedBinaryPath(cacheDir);
  await mkdir(join(target, '..'), { recursive: true });
  await rename(found, target);
  progress.stop(`cached at ${target}`);
  return target;
}

/** The version line the binary prints, to log which server runs. */
export function temporalVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return out.stdout.trim() || out.stderr.trim();
}
