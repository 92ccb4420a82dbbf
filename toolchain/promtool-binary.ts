/**
 * Prometheus's `promtool`, built from the Go module proxy into the per-user cache: the suite checks the example
 * alerting rules and scrape config in infra/prometheus with it, and evaluates the rules' unit tests.
 */
import { join } from 'node:path';
import { resolveGoBinary } from './go-binary';

/** The Prometheus module version Capstan pins (Prometheus 3.x tags its Go module v0.3xx). */
export const PROMTOOL_VERSION = '0.316.0';

/** The `promtool` binary: CAPSTAN_PROMTOOL_BIN, the cache, else a Go build (minutes the first time). */
export function resolvePromtoolBinary(cacheDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return resolveGoBinary({
    packagePath: 'github.com/prometheus/prometheus/cmd/promtool',
    version: `v${PROMTOOL_VERSION}`,
    cached: join(cacheDir, 'promtool', PROMTOOL_VERSION, 'promtool'),
    configured: env.CAPSTAN_PROMTOOL_BIN,
    configuredBy: 'CAPSTAN_PROMTOOL_BIN',
    env,
  });
}
