/** API token secrets and ids: how they are made, recognised and hashed, and how long a token may live. */
import { createHash, randomBytes } from 'node:crypto';

/** Every token Capstan makes starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'cap_';

/** 32 random bytes: 256 bits, far beyond guessing. */
const SECRET_BYTES = 32;

/** A new token secret: the prefix and 32 random bytes in base64url (47 characters). */
export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** True for a string shaped like a token Capstan made. */
export function looksLikeCapstanToken(value: string): boolean {
  return /^cap_[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * The stored form of a token: its SHA-256. A slow password hash (bcrypt, scrypt) exists to make
 * guessing low-entropy passwords expensive; a 256-bit random secret cannot be guessed at any speed,
 * so a fast hash loses nothing and lets every request be checked with one indexed lookup.
 */
export function hashToken(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** A token id: not secret, safe to show, log and put in URLs. */
export function newTokenId(): string {
  return `tok_${randomBytes(12).toString('base64url')}`;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds in a duration like `90s`, `15m`, `12h`, `30d` or `2w`; undefined when it is not one. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return seconds > 0 ? seconds : undefined;
}
