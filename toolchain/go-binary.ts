/**
 * A binary built once from the Go module proxy into the per-user cache: a configured path when one is
 * given, else the cached file, else `go install <package>@<version>` (for modules without `replace`
 * directives, which `go install` refuses).
 */
import { join } from 'node:path';
import { buildIntoCache, findOnPath, isExecutable, runGo } from './binary-chain';

/** What to build and where to keep it. */
export interface GoBinarySpec {
  /** Full package path of the `main` package, e.g. `go.temporal.io/server/cmd/server`. */
  packagePath: string;
  version: string;
  /** Where the binary is cached. */
  cached: string;
  /** An explicit binary (an environment variable's value), used as is. */
  configured?: string;
  /** The variable that configures it, for messages. */
  configuredBy?: string;
  env?: NodeJS.ProcessEnv;
}

/** Returns the binary's path, building it into the cache when it is not there yet (minutes the first time). */
export async function resolveGoBinary(spec: GoBinarySpec): Promise<string> {
  const env = spec.env ?? process.env;
  if (spec.configured !== undefined) {
    if (!isExecutable(spec.configured))
      throw new Error(`${spec.configuredBy ?? 'the configured path'}=${spec.configured} is not an executable file`);
    return spec.configured;
  }
  if (isExecutable(spec.cached)) return spec.cached;
  const target = `${spec.packagePath}@${spec.version}`;
  const go = findOnPath('go', env.PATH ?? '');
  if (!go) throw new Error(`no ${spec.cached} and no Go toolchain on PATH to build ${target}: install Go 1.25+`);
  const binaryName = spec.packagePath.split('/').pop() as string;
  return buildIntoCache(spec.cached, `building ${target} with Go (minutes on a cold cache)`, async (scratch, tick) => {
    await runGo(
      go,
      ['install', '-v', '-trimpath', target],
      { env: { ...env, GOBIN: scratch, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' } },
      tick,
    );
    return join(scratch, binaryName);
  });
}
