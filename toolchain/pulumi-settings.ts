/** Pulumi settings for a worker process: the CLI (obtained if needed), the backend, and the secrets passphrase. */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePulumiBinary } from './pulumi-binary';
import type { CapstanConfig } from '../config/env';
import type { Logger } from '../config/logger';

/** Where Pulumi runs and keeps its state; shared by every stack operation of a worker. */
export interface PulumiSettings {
  /** The `pulumi` binary (resolved by toolchain/pulumi-binary). */
  binary: string;
  /** Any Pulumi backend URL; the default is a `file://` directory under Capstan's data directory. */
  backendUrl: string;
  /** Encrypts stack secrets with the passphrase provider unless `secretsProvider` names another. */
  passphrase?: string;
  secretsProvider?: string;
  /** Per-stack work directories (Pulumi.yaml and stack settings) and PULUMI_HOME live under this. */
  stateDir: string;
}

/** Resolves everything stack operations need; without a passphrase or secrets provider, one is generated once and kept in the data directory. */
export async function pulumiSettingsFor(config: CapstanConfig, logger: Logger): Promise<PulumiSettings> {
  const binary = await resolvePulumiBinary({ configuredPath: config.pulumi.binary, cacheDir: config.cacheDir });
  logger.info({ pulumi: binary.path, source: binary.source }, 'Pulumi CLI ready');
  const passphrase = await pulumiPassphrase(config, logger);
  return {
    binary: binary.path,
    backendUrl: config.pulumi.backendUrl,
    secretsProvider: config.pulumi.secretsProvider,
    stateDir: config.pulumi.stateDir,
    // With a secrets provider Pulumi needs no passphrase; Capstan still uses one to seal stack config.
    ...(config.pulumi.secretsProvider ? {} : { passphrase }),
  };
}

/**
 * CAPSTAN_PULUMI_PASSPHRASE, or one generated once into the data directory: it encrypts Pulumi
 * secrets (without a secrets provider) and seals secret stack config in Capstan's database.
 */
export async function pulumiPassphrase(config: CapstanConfig, logger: Logger): Promise<string> {
  if (config.pulumi.passphrase) return config.pulumi.passphrase;
  const file = join(config.pulumi.stateDir, 'passphrase');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(config.pulumi.stateDir, { recursive: true });
    // Written whole to a scratch file, then linked into place: link fails if another process of this
    // data directory got there first, and then theirs is used; nobody ever reads a half-written file.
    const scratch = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(scratch, randomBytes(32).toString('base64url'), { mode: 0o600 });
    const created = await link(scratch, file).then(
      () => true,
      () => false,
    );
    await rm(scratch, { force: true });
    if (created)
      logger.warn(
        { file },
        'no CAPSTAN_PULUMI_PASSPHRASE: stack secrets are encrypted with a passphrase generated in this file; the API and workers on other machines need the same one',
      );
    return (await readFile(file, 'utf8')).trim();
  }
}
