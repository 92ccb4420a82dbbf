/** The `api_tokens` table: tokens are created, found by the hash of their secret, listed and revoked here. */
import type { Queryable } from '../queryable';
import type { Role } from './token-roles';
import { hashToken, newTokenId, newTokenSecret } from './token-format';

/** One token as stored, without its hash. */
export interface TokenRecord {
  id: string;
  principal: string;
  role: Role;
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** What a new token is for. */
export interface NewToken {
  principal: string;
  role: Role;
  createdBy: string;
  expiresAt?: Date;
}

/** A token's state at a moment. */
export type TokenStatus = 'active' | 'revoked' | 'expired';

// The hash column is never selected: nothing outside the lookup's WHERE clause needs it.
const COLUMNS = 'id, principal, role, created_at, created_by, expires_at, revoked_at, last_used_at';

interface TokenRow {
  id: string;
  principal: string;
  role: Role;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function fromRow(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    principal: row.principal,
    role: row.role,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Whether a token is usable at `now`. */
export function tokenStatus(token: TokenRecord, now = new Date()): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** Stores a token (a new random secret unless one is given) and returns the record and the secret, the only time it is seen. */
export async function createToken(
  db: Queryable,
  token: NewToken,
  secret = newTokenSecret(),
): Promise<{ record: TokenRecord; secret: string }> {
  const { rows } = await db.query<TokenRow>(
    `INSERT INTO api_tokens (id, principal, role, token_sha256, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [newTokenId(), token.principal, token.role, hashToken(secret), token.createdBy, token.expiresAt ?? null],
  );
  return { record: fromRow(rows[0]!), secret };
}

/** The token whose secret this is, whatever its state; undefined when there is none. */
export async function findTokenBySecret(db: Queryable, secret: string): Promise<TokenRecord | undefined> {
  const { rows } = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_sha256 = $1`, [
    hashToken(secret),
  ]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Every token, newest first. */
export async function listTokens(db: Queryable): Promise<TokenRecord[]> {
  const { rows } = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at DESC, id`);
  return rows.map(fromRow);
}

/** Revokes a token (a second revocation keeps the first time); undefined for an unknown id. */
export async function revokeToken(db: Queryable, id: string): Promise<TokenRecord | undefined> {
  const { rows } = await db.query<TokenRow>(
    `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Records a use of a token, unless one was recorded in the last minute (by any API process). */
export async function touchToken(db: Queryable, id: string): Promise<void> {
  await db.query(
    "UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    [id],
  );
}

/** A token as the API and the command line show it: never the secret, never the hash. */
export function tokenView(token: TokenRecord, now = new Date()): Record<string, unknown> {
  return {
    id: token.id,
    principal: token.principal,
    role: token.role,
    status: tokenStatus(token, now),
    createdAt: token.createdAt.toISOString(),
    createdBy: token.createdBy,
    expiresAt: token.expiresAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  };
}
