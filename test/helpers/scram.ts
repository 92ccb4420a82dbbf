/** Checks role passwords the way PostgreSQL stores them, since the test server trusts every login. */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

/** Whether a SCRAM-SHA-256 secret from pg_authid was made from `password`, computed independently of the provider. */
export function scramIsFor(secret: string, password: string): boolean {
  const [, iterations, salt, storedKey] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):/.exec(secret) ?? [];
  if (!iterations || !salt || !storedKey) return false;
  const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iterations), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return createHash('sha256').update(clientKey).digest('base64') === storedKey;
}
