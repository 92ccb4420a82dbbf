/**
 * Finds or builds the Temporal server and its SQL schema tool, for a Temporal cluster on PostgreSQL
 * (the `cluster` profile of the tests and benchmarks): configured paths, the per-user cache, else a
 * build from the Go module proxy of the same server version the pinned CLI embeds.
 */
import { join } from 'node:path';
import { buildIntoCache, findOnPath, isExecutable, runGo } from './binary-chain';

/** The server release the pinned Temporal CLI (v1.5.1) embeds, so both profiles run the same server code. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = 'go.temporal.io/server';

/** The server binary and its schema tool. */
export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

/** Settings that steer where the binaries come from. */
export interface ResolveServerOptions {
  cacheDir: string;
  /** CAPSTAN_TEMPORAL_SERVER_BIN and CAPSTAN_TEMPORAL_SQL_TOOL_BIN, if set. */
  configured?: { server?: string; sqlTool?: string };
  env?: NodeJS.ProcessEnv;
}

/** Returns both binaries, building each missing one into the cache (minutes the first time). */
export async function resolveTemporalServerBinaries(options: ResolveServerOptions): Promise<TemporalServerBinaries> {
  const env = options.env ?? process.env;
  const dir = join(options.cacheDir, 'temporal-server', TEMPORAL_SERVER_VERSION);
  const server = await resolveOne(options.configured?.server, join(dir, 'temporal-server'), 'cmd/server', env);
  const sqlTool = await resolveOne(options.configured?.sqlTool, join(dir, 'temporal-sql-tool'), 'cmd/tools/sql', env);
  return { server, sqlTool };
}

async function resolveOne(
  configured: string | undefined,
  cached: string,
  packagePath: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (configured !== undefined) {
    if (!isExecutable(configured)) throw new Error(`${configured} is not an executable file`);
    return configured;
  }
  if (isExecutable(cached)) return cached;
  const go = findOnPath('go', env.PATH ?? '');
  if (!go) {
    throw new Error(
      `no ${cached} and no Go toolchain on PATH to build ${MODULE}/${packagePath}@v${TEMPORAL_SERVER_VERSION}: install Go 1.25+`,
    );
  }
  // The module has no replace directives, so `go install` builds it with its own go.mod's versions.
  const binaryName = packagePath.split('/').pop() as string;
  return buildIntoCache(
    cached,
    `building ${MODULE}/${packagePath} v${TEMPORAL_SERVER_VERSION} with Go (minutes on a cold cache)`,
    async (scratch, tick) => {
      await runGo(
        go,
        ['install', '-v', '-trimpath', `${MODULE}/${packagePath}@v${TEMPORAL_SERVER_VERSION}`],
        { env: { ...env, GOBIN: scratch, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' } },
        tick,
      );
      return join(scratch, binaryName);
    },
  );
}
