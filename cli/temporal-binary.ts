/**
 * Finds or obtains the Temporal CLI: configured path, PATH, the per-user cache, a build from the Go
 * module proxy, then the SDK's own download. The start command and the tests share this bootstrap.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
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
  const onPath = findOnPath('temporal', env.PATH ?? '');
  if (onPath) return { path: onPath, source: 'path' };
  const cached = cachedBinaryPath(options.cacheDir);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };

  const reasons: string[] = [];
  const go = findOnPath('go', env.PATH ?? '');
  if (go) {
    try {
      await buildWithGo(go, options.cacheDir, env);
      return { path: cached, source: 'go-build' };
    } catch (err) {
      reasons.push(`building with Go failed: ${(err as Error).message}`);
    }
  } else {
    reasons.push('no Go toolchain on PATH to build it from the Go module proxy');
  }
  try {
    return { path: await (options.download ?? downloadWithSdk)(options.cacheDir), source: 'sdk-download' };
  } catch (err) {
    reasons.push(`the Temporal SDK's download failed: ${(err as Error).message}`);
  }
  throw new TemporalBinaryError([
    `Could not obtain the Temporal CLI v${TEMPORAL_CLI_VERSION}. Tried, in order:`,
    '  1. CAPSTAN_TEMPORAL_BIN (not set)',
    '  2. `temporal` on PATH (not found)',
    `  3. the cache at ${cached} (not there)`,
    `  4. go install ${MODULE}@v${TEMPORAL_CLI_VERSION}`,
    '  5. the Temporal SDK download (needs internet)',
    ...reasons.map((r) => `  - ${r}`),
    'Fix one: set CAPSTAN_TEMPORAL_BIN to a temporal binary, put one on PATH, install Go 1.25+, or allow internet access.',
  ].join('\n'));
}

/** Path of the cached binary for the pinned version. */
export function cachedBinaryPath(cacheDir: string): string {
  return join(cacheDir, 'temporal', TEMPORAL_CLI_VERSION, 'temporal');
}

async function buildWithGo(go: string, cacheDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const target = cachedBinaryPath(cacheDir);
  await mkdir(join(target, '..'), { recursive: true });
  // Build into a scratch dir and rename, so an interrupted build never leaves a half binary in the cache.
  const scratch = await mkdtemp(join(cacheDir, 'temporal', 'build-'));
  const progress = startProgress(`building Temporal CLI v${TEMPORAL_CLI_VERSION} with Go (takes minutes on a cold module cache)`);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, [
        'install', '-v', '-trimpath',
        '-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
        `${MODULE}@v${TEMPORAL_CLI_VERSION}`,
      ], { env: { ...env, GOBIN: scratch, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let lastLines = '';
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        // `go install -v` prints one package path per compiled package.
        for (const line of text.split('\n')) if (line && !line.startsWith('go: ')) progress.tick();
        lastLines = (lastLines + text).slice(-2000);
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install exited with ${code}: ${lastLines.trim()}`))));
    });
    await rename(join(scratch, 'temporal'), target);
    progress.stop(`cached at ${target}`);
  } catch (err) {
    progress.stop('failed');
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
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
  const found = readdirSync(downloadDir).map((f) => join(downloadDir, f)).find((f) => statSync(f).isFile() && isExecutable(f));
  if (!found) throw new Error(`the SDK reported success but left no executable in ${downloadDir}`);
  // Into the cache path, so the next start finds it in step 3 instead of downloading again.
  const target = cachedBinaryPath(cacheDir);
  await mkdir(join(target, '..'), { recursive: true });
  await rename(found, target);
  progress.stop(`cached at ${target}`);
  return target;
}

/** The first executable named `name` on a PATH string. */
export function findOnPath(name: string, pathValue: string): string | undefined {
  return pathValue.split(delimiter).filter(Boolean).map((dir) => join(dir, name)).find(isExecutable);
}

/** Whether `file` is a regular file this process may execute. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return existsSync(file) && statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The version line the binary prints, to log which server runs. */
export function temporalVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return out.stdout.trim() || out.stderr.trim();
}
