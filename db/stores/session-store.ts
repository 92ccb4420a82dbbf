/** The `api_sessions` table: console sessions, each acting as the API token it was signed in with. */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../queryable';
import type { Role } from './token-roles';
import { hashToken } from './token-format';

/** A session as the API uses it, with what it needs of its token; never the secret or its hash. */
export interface SessionRecord {
  id: string;
  tokenId: string;
  principal: string;
  role: Role;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
}

/** A session found by its secret, and whether it (and its token) can still be used, by the database's clock. */
export interface FoundSession {
  session: SessionRecord;
  /** `active`, or why the session no longer works. */
  status: 'active' | 'expired' | 'token_revoked' | 'token_expired';
  tokenRevokedAt: Date | null;
  tokenExpiresAt: Date | null;
}

/** Most live sessions one token may have; signing in past it ends the token's oldest sessions. */
export const MAX_SESSIONS_PER_TOKEN = 50;

/** 32 random bytes: as unguessable as a token secret. */
const SECRET_BYTES = 32;

/** True for a string shaped like a session secret this API made (what the cookie must hold). */
export function looksLikeSessionSecret(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

interface SessionRow {
  id: string;
  token_id: string;
  principal: string;
  role: Role;
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
  last_seen_at: Date;
}

function fromRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    tokenId: row.token_id,
    principal: row.principal,
    role: row.role,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
  };
}

const COLUMNS = 's.id, s.token_id, t.principal, t.role, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at';

/**
 * Opens a session for token `tokenId` lasting `hours`, cut to the token's own expiry, and returns it
 * with its secret (the cookie's value), the only time the secret is seen; undefined for an unknown token.
 * The token's sessions past the newest MAX_SESSIONS_PER_TOKEN end, so sign-ins cannot fill the table.
 */
export async function createSession(
  db: Queryable,
  tokenId: string,
  hours: number,
): Promise<{ record: SessionRecord; secret: string } | undefined> {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const { rows } = await db.query<SessionRow>(
    `WITH created AS (
       INSERT INTO api_sessions (id, secret_sha256, token_id, csrf_token, expires_at)
       SELECT $1, $2, t.id, $4, LEAST(now() + $5::integer * interval '1 hour', COALESCE(t.expires_at, 'infinity'))
       FROM api_tokens t WHERE t.id = $3
       RETURNING *)
     SELECT ${COLUMNS} FROM created s JOIN api_tokens t ON t.id = s.token_id`,
    [
      `ses_${randomBytes(12).toString('base64url')}`,
      hashToken(secret),
      tokenId,
      randomBytes(SECRET_BYTES).toString('base64url'),
      hours,
    ],
  );
  if (!rows[0]) return undefined;
  await db.query(
    `DELETE FROM api_sessions WHERE token_id = $1 AND id NOT IN (
       SELECT id FROM api_sessions WHERE token_id = $1 ORDER BY created_at DESC, id LIMIT $2)`,
    [tokenId, MAX_SESSIONS_PER_TOKEN],
  );
  return { record: fromRow(rows[0]), secret };
}

/**
 * The session whose secret this is, read with its token in one query so that a revoked or expired
 * token is seen on the very request after; undefined when there is none (never made, or signed out).
 */
export async function findSessionBySecret(db: Queryable, secret: string): Promise<FoundSession | undefined> {
  const { rows } = await db.query<
    SessionRow & {
      session_expired: boolean;
      token_revoked_at: Date | null;
      token_expires_at: Date | null;
      token_expired: boolean;
    }
  >(
    `SELECT ${COLUMNS}, s.expires_at <= now() AS session_expired, t.revoked_at AS token_revoked_at,
            t.expires_at AS token_expires_at, COALESCE(t.expires_at <= now(), false) AS token_expired
     FROM api_sessions s JOIN api_tokens t ON t.id = s.token_id
     WHERE s.secret_sha256 = $1`,
    [hashToken(secret)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const status = row.token_revoked_at
    ? 'token_revoked'
    : row.token_expired
      ? 'token_expired'
      : row.session_expired
        ? 'expired'
        : 'active';
  return {
    session: fromRow(row),
    status,
    tokenRevokedAt: row.token_revoked_at,
    tokenExpiresAt: row.token_expires_at,
  };
}

/** Ends the session whose secret this is (sign-out); returns its id, or undefined when there was none. */
export async function deleteSessionBySecret(db: Queryable, secret: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('DELETE FROM api_sessions WHERE secret_sha256 = $1 RETURNING id', [
    hashToken(secret),
  ]);
  return rows[0]?.id;
}

/** Records a use of a session, unless one was recorded in the last minute (by any API process). */
export async function touchSession(db: Queryable, id: string): Promise<void> {
  await db.query(
    "UPDATE api_sessions SET last_seen_at = now() WHERE id = $1 AND last_seen_at < now() - interval '1 minute'",
    [id],
  );
}

/** Removes sessions that can no longer be used (expired, or their token revoked or expired); returns how many. */
export async function deleteEndedSessions(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM api_sessions s USING api_tokens t
     WHERE t.id = s.token_id AND (s.expires_at <= now() OR t.revoked_at IS NOT NULL OR t.expires_at <= now())`,
  );
  return rowCount ?? 0;
}
