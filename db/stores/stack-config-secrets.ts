/**
 * Secret fields of a stack's config (admin URLs, passwords) are sealed with AES-256-GCM before they
 * reach Capstan's database and opened only by the workers that run the stack's program.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/** How a sealed value is stored in place of the plain one. */
interface SealedValue {
  $sealed: string;
}

/** The 32-byte key that seals stack config, derived from the Pulumi passphrase every stack worker already shares. */
export function configKeyFrom(passphrase: string): Buffer {
  // A fixed salt: the key must be the same in the API and in every worker given the same passphrase.
  return scryptSync(passphrase, 'capstan stack config v1', 32);
}

/** The config with each of `secretFields` sealed; values already sealed are left as they are. */
export function sealConfig(
  config: Record<string, unknown>,
  secretFields: readonly string[],
  key: Buffer,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([field, value]) => [
      field,
      secretFields.includes(field) && !isSealed(value) ? seal(JSON.stringify(value), key) : value,
    ]),
  );
}

/** The config with every sealed value opened; fails naming the field when the key is not the one that sealed it. */
export function openConfig(config: Record<string, unknown>, key: Buffer): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([field, value]) => {
      if (!isSealed(value)) return [field, value];
      try {
        return [field, JSON.parse(open(value.$sealed, key)) as unknown];
      } catch {
        throw new Error(
          `config field "${field}" was sealed with another key: give this process the same CAPSTAN_PULUMI_PASSPHRASE as the API`,
        );
      }
    }),
  );
}

function isSealed(value: unknown): value is SealedValue {
  return typeof value === 'object' && value !== null && typeof (value as SealedValue).$sealed === 'string';
}

function seal(plain: string, key: Buffer): SealedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return {
    $sealed: ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':'),
  };
}

function open(sealed: string, key: Buffer): string {
  const [version, iv, tag, body] = sealed.split(':');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
}
