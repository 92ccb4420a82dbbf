/** Pulumi settings for a worker process: the CLI (obtained if needed), the backend, and the secrets passphrase. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePulumiBinary } from '../../cli/pulumi-binary';
import type { CapstanConfig } from '../../config/env';
import type { Logger } from '../../config/logger';
import type { PulumiSettings } from './workspace';

/** Resolves everything stack operations need; without a passphrase or secrets provider, one is generated once and kept in the data directory. */
export async function pulumiSettingsFor(config: CapstanConfig, logger: Logger): Promise<PulumiSettings> {
  const binary = await resolvePulumiBinary({ configuredPath: config.pulumi.binary, cacheDir: config.cacheDir });
  logger.info({ pulumi: binary.path, source: binary.source }, 'Pulumi CLI ready');
  const passphrase = config.pulumi.passphrase
    ?? (config.pulumi.secretsProvider ? undefined : await localPassphrase(config.pulumi.stateDir, logger));
  return { binary: binary.path, backendUrl: config.pulumi.backendUrl, passphrase, secretsProvider: config.pulumi.secretsProvider, stateDir: config.pulumi.stateDir };
}

async function localPassphrase(stateDir: string, logger: Logger): Promise<string> {
  const file = join(stateDir, 'passphrase');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(stateDir, { recursive: true });
    // `wx`: if another worker of this data directory wrote it first, use theirs.
    await writeFile(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    logger.warn({ file }, 'no CAPSTAN_PULUMI_PASSPHRASE or CAPSTAN_PULUMI_SECRETS_PROVIDER: stack secrets are encrypted with a passphrase generated in this file; workers on other machines need the same one');
    return (await readFile(file, 'utf8')).trim();
  }
}
