/**
 * An S3-compatible server that runs here: Versity's S3 gateway (`versitygw`) over a local directory,
 * built from the Go module proxy into the per-user cache. Tests and the chaos run use it as the object
 * store that machines sharing no filesystem share instead.
 */
import { join } from 'node:path';
import { resolveGoBinary } from './go-binary';

/** The versitygw release Capstan pins. */
export const S3_SERVER_VERSION = '1.8.0';

/** The `versitygw` binary: CAPSTAN_S3_SERVER_BIN, the cache, else a Go build. */
export function resolveS3ServerBinary(cacheDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return resolveGoBinary({
    packagePath: 'github.com/versity/versitygw/cmd/versitygw',
    version: `v${S3_SERVER_VERSION}`,
    cached: join(cacheDir, 'versitygw', S3_SERVER_VERSION, 'versitygw'),
    configured: env.CAPSTAN_S3_SERVER_BIN,
    configuredBy: 'CAPSTAN_S3_SERVER_BIN',
    env,
  });
}
