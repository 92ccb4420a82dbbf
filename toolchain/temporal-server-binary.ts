/**
 * Finds or builds the Temporal server and its SQL schema tool, for a Temporal cluster on PostgreSQL
 * (the `cluster` profile of the tests and benchmarks): configured paths, the per-user cache, else a
 * build from the Go module proxy of the same server version the pinned CLI embeds.
 */
import { join } from 'node:path';
import { resolveGoBinary } from './go-binary';

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
  const dir = join(options.cacheDir, 'temporal-server', TEMPORAL_SERVER_VERSION);
  // The module has no replace directives, so `go install` builds it with its own go.mod's versions.
  const build = (pkg: string, file: string, configured: string | undefined, configuredBy: string): Promise<string> =>
    resolveGoBinary({
      packagePath: `${MODULE}/${pkg}`,
      version: `v${TEMPORAL_SERVER_VERSION}`,
      cached: join(dir, file),
      configured,
      configuredBy,
      env: options.env,
    });
  const server = await build(
    'cmd/server',
    'temporal-server',
    options.configured?.server,
    'CAPSTAN_TEMPORAL_SERVER_BIN',
  );
  const sqlTool = await build(
    'cmd/tools/sql',
    'temporal-sql-tool',
    options.configured?.sqlTool,
    'CAPSTAN_TEMPORAL_SQL_TOOL_BIN',
  );
  return { server, sqlTool };
}
