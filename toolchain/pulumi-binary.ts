/**
 * Finds or obtains the Pulumi CLI the same way as the Temporal CLI: configured path, PATH, the
 * per-user cache, a build from the Go module proxy, then the Automation API's own installer.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildIntoCache, findOnPath, firstBinary, isExecutable, runGo } from './binary-chain';
import { startProgress } from './progress';

/** The CLI release paired with `@pulumi/pulumi` in package.json (3.248.0 is its last release for Node 20). */
export const PULUMI_CLI_VERSION = '3.248.0';

/**
 * `pkg/v3`'s own go.mod replaces this module; `go install` refuses modules with replace lines, so
 * a throwaway module repeats it. Check the tag's go.mod when changing PULUMI_CLI_VERSION.
 */
const CLIPBOARD_REPLACEMENT =
  'github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e';

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
  const cached = cachedPulumiPath(options.cacheDir);
  return firstBinary<PulumiBinarySource>(
    `the Pulumi CLI v${PULUMI_CLI_VERSION}`,
    [
      { source: 'path', label: `\`pulumi\` v${PULUMI_CLI_VERSION} on PATH`, find: () => pulumiOnPath(env) },
      { source: 'cache', label: `the cache at ${cached}`, find: () => (isExecutable(cached) ? cached : undefined) },
      {
        source: 'go-build',
        label: `a Go build of github.com/pulumi/pulumi/pkg/v3@v${PULUMI_CLI_VERSION}`,
        find: () => buildWithGo(cached, env),
      },
      {
        source: 'pulumi-install',
        label: "the Automation API's installer (needs internet)",
        find: () => (options.install ?? installWithAutomationApi)(dirname(dirname(cached))),
      },
    ],
    'Fix one: set CAPSTAN_PULUMI_BIN, put pulumi on PATH, install Go 1.25+, or allow internet access.',
    (message) => new PulumiBinaryError(message),
  );
}

/** A `pulumi` on PATH of the pinned version; one of another version is reported, not used. */
function pulumiOnPath(env: NodeJS.ProcessEnv): string | undefined {
  const found = findOnPath('pulumi', env.PATH ?? '');
  if (!found) return undefined;
  const version = pulumiVersion(found);
  if (version !== `v${PULUMI_CLI_VERSION}`) throw new Error(`${found} is ${version || 'of unknown version'}`);
  return found;
}

/** Path of the cached binary for the pinned version, laid out as `<root>/bin/pulumi` like Pulumi's installer. */
export function cachedPulumiPath(cacheDir: string): string {
  return join(cacheDir, 'pulumi', PULUMI_CLI_VERSION, 'bin', 'pulumi');
}

/** The version the binary reports, such as `v3.248.0`, or '' if it cannot run. */
export function pulumiVersion(binary: string): string {
  const out = spawnSync(binary, ['version'], {
    encoding: 'utf8',
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: 'true' },
  });
  return out.status === 0 ? out.stdout.trim() : '';
}

async function buildWithGo(target: string, env: NodeJS.ProcessEnv): Promise<string> {
  const go = findOnPath('go', env.PATH ?? '');
  if (!go) throw new Error('no Go toolchain on PATH to build it from the Go module proxy');
  return buildIntoCache(
    target,
    `building Pulumi CLI v${PULUMI_CLI_VERSION} with Go (about 4 minutes on a warm module cache)`,
    async (scratch, tick) => {
      // A throwaway module that repeats pkg/v3's non-local replacement, which `go install` would refuse.
      await writeFile(
        join(scratch, 'go.mod'),
        [
          'module capstan.local/pulumi-build',
          '',
          'go 1.25',
          '',
          'require (',
          `\tgithub.com/pulumi/pulumi/pkg/v3 v${PULUMI_CLI_VERSION}`,
          `\tgithub.com/pulumi/pulumi/sdk/v3 v${PULUMI_CLI_VERSION}`,
          ')',
          '',
          `replace ${CLIPBOARD_REPLACEMENT}`,
          '',
        ].join('\n'),
      );
      await runGo(
        go,
        [
          'build',
          '-v',
          '-trimpath',
          '-o',
          join(scratch, 'pulumi'),
          '-ldflags',
          `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_CLI_VERSION}`,
          'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi',
        ],
        {
          cwd: scratch,
          // The sum database is not reachable through a module-proxy-only network; go.sum is written from the proxy.
          env: { ...env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOSUMDB: env.GOSUMDB ?? 'off' },
        },
        tick,
      );
      return join(scratch, 'pulumi');
    },
  );
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
