/**
 * Finds or obtains the Pulumi CLI the same way as the Temporal CLI: configured path, PATH, the
 * per-user cache, a build from the Go module proxy, then the Automation API's own installer.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startProgress } from './progress';
import { findOnPath, isExecutable } from './temporal-binary';

/** The CLI release paired with `@pulumi/pulumi` in package.json (3.248.0 is its last release for Node 20). */
export const PULUMI_CLI_VERSION = '3.248.0';

/**
 * `pkg/v3`'s own go.mod replaces this module; `go install` refuses modules with replace lines, so
 * a throwaway module repeats it. Check the tag's go.mod when changing PULUMI_CLI_VERSION.
 */
const CLIPBOARD_REPLACEMENT = 'github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e';

/** Where a Pulumi binary came from, for the startup log. */
export type PulumiBinarySource = 'configured' | 'path' | 'cache' | 'go-build' | 'pulumi-install';

/** A usable Pulumi CLI; `root` is the directory holding `bin/pulumi` when Capstan manages it. */
export interface PulumiBinary {
  path: string;
  source: PulumiBinarySource;
}

/** Settings that steer where the binary comes from. */
export interface ResolvePulumiOptions {
  /** CAPSTAN_PULUMI_BIN, if set. */
  configuredPath?: string;
  cacheDir: string;
  env?: NodeJS.ProcessEnv;
  /** The last resort, replaceable in tests; returns a binary path. */
  install?: (root: string) => Promise<string>;
}

/** No way to obtain the CLI worked; the message lists every way and why each failed. */
export class PulumiBinaryError extends Error {}

/** Returns a Pulumi CLI binary, building or installing it into the cache when needed. */
export async function resolvePulumiBinary(options: ResolvePulumiOptions): Promise<PulumiBinary> {
  const env = options.env ?? process.env;
  if (options.configuredPath !== undefined) {
    if (!isExecutable(options.configuredPath)) {
      throw new PulumiBinaryError(`CAPSTAN_PULUMI_BIN=${options.configuredPath} is not an executable file`);
    }
    return { path: options.configuredPath, source: 'configured' };
  }
  const onPath = findOnPath('pulumi', env.PATH ?? '');
  if (onPath && pulumiVersion(onPath) === `v${PULUMI_CLI_VERSION}`) return { path: onPath, source: 'path' };
  const cached = cachedPulumiPath(options.cacheDir);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };

  const reasons: string[] = [];
  if (onPath) reasons.push(`${onPath} is ${pulumiVersion(onPath) || 'of unknown version'}, not v${PULUMI_CLI_VERSION}`);
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
    return { path: await (options.install ?? installWithAutomationApi)(dirname(dirname(cached))), source: 'pulumi-install' };
  } catch (err) {
    reasons.push(`the Automation API's installer failed: ${(err as Error).message}`);
  }
  throw new PulumiBinaryError([
    `Could not obtain the Pulumi CLI v${PULUMI_CLI_VERSION}. Tried, in order: CAPSTAN_PULUMI_BIN, PATH, the cache at ${cached},`,
    '  a Go build from the module proxy, and the Automation API installer (needs internet).',
    ...reasons.map((r) => `  - ${r}`),
    'Fix one: set CAPSTAN_PULUMI_BIN, put pulumi on PATH, install Go 1.25+, or allow internet access.',
  ].join('\n'));
}

/** Path of the cached binary for the pinned version, laid out as `<root>/bin/pulumi` like Pulumi's installer. */
export function cachedPulumiPath(cacheDir: string): string {
  return join(cacheDir, 'pulumi', PULUMI_CLI_VERSION, 'bin', 'pulumi');
}

/** The version the binary reports, such as `v3.248.0`, or '' if it cannot run. */
export function pulumiVersion(binary: string): string {
  const out = spawnSync(binary, ['version'], { encoding: 'utf8', env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: 'true' } });
  return out.status === 0 ? out.stdout.trim() : '';
}

async function buildWithGo(go: string, cacheDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const target = cachedPulumiPath(cacheDir);
  await mkdir(dirname(target), { recursive: true });
  // A throwaway module in a scratch dir; the binary is renamed into place only when complete.
  const scratch = await mkdtemp(join(cacheDir, 'pulumi', 'build-'));
  await writeFile(join(scratch, 'go.mod'), [
    'module capstan.local/pulumi-build', '', 'go 1.25', '',
    'require (',
    `\tgithub.com/pulumi/pulumi/pkg/v3 v${PULUMI_CLI_VERSION}`,
    `\tgithub.com/pulumi/pulumi/sdk/v3 v${PULUMI_CLI_VERSION}`,
    ')', '',
    `replace ${CLIPBOARD_REPLACEMENT}`, '',
  ].join('\n'));
  const progress = startProgress(`building Pulumi CLI v${PULUMI_CLI_VERSION} with Go (about 4 minutes on a warm module cache)`);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, [
        'build', '-v', '-trimpath', '-o', join(scratch, 'pulumi'),
        '-ldflags', `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_CLI_VERSION}`,
        'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi',
      ], {
        cwd: scratch,
        // The sum database is not reachable through a module-proxy-only network; go.sum is written from the proxy.
        env: { ...env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOSUMDB: env.GOSUMDB ?? 'off' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let lastLines = '';
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        for (const line of text.split('\n')) if (line && !line.startsWith('go: ')) progress.tick();
        lastLines = (lastLines + text).slice(-2000);
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go build exited with ${code}: ${lastLines.trim()}`))));
    });
    await rename(join(scratch, 'pulumi'), target);
    progress.stop(`cached at ${target}`);
  } catch (err) {
    progress.stop('failed');
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function installWithAutomationApi(root: string): Promise<string> {
  const progress = startProgress(`installing Pulumi CLI v${PULUMI_CLI_VERSION} with the Automation API`);
  try {
    const { PulumiCommand } = await import('@pulumi/pulumi/automation/index.js');
    // Without a version the installer takes the SDK's own, which package.json pins to PULUMI_CLI_VERSION.
    await PulumiCommand.install({ root });
    progress.stop('done');
    return join(root, 'bin', 'pulumi');
  } catch (err) {
    progress.stop('failed');
    throw err;
  }
}
