/** The first admin token: the configured one stored, or a new one made when no admin could otherwise get in. */
import type { Pool } from 'pg';
import { tokenStatus, createToken, findTokenBySecret } from './token-store';

/** What `ensureAdminToken` did; `secret` is set only when it made a new token, which must be shown once. */
export interface AdminBootstrap {
  action: 'stored-configured' | 'configured-present' | 'admin-present' | 'created';
  secret?: string;
  /** Set when the configured token exists but cannot act as admin (revoked, expired, or another role). */
  warning?: string;
}

/**
 * With `configured` (CAPSTAN_ADMIN_TOKEN), makes sure its hash is stored as an admin token of
 * principal `admin`; a revoked or expired one stays so (revocation must outlive a restart) and is
 * reported. Without it, creates an admin token when no active one exists. Several API processes
 * starting at once agree under a lock, so at most one token is made.
 */
export async function ensureAdminToken(db: Pool, configured?: string): Promise<AdminBootstrap> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    // Transaction-scoped: released by COMMIT or ROLLBACK even if this process dies.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('capstan.admin-token'))");
    let result: AdminBootstrap;
    if (configured !== undefined) {
      const existing = await findTokenBySecret(client, configured);
      if (!existing) {
        await createToken(client, { principal: 'admin', role: 'admin', createdBy: 'CAPSTAN_ADMIN_TOKEN' }, configured);
        result = { action: 'stored-configured' };
      } else {
        const status = tokenStatus(existing);
        const warning =
          existing.role !== 'admin'
            ? `CAPSTAN_ADMIN_TOKEN is token ${existing.id} with the ${existing.role} role, not admin`
            : status !== 'active'
              ? `CAPSTAN_ADMIN_TOKEN is token ${existing.id}, which is ${status}; it stays ${status}`
              : undefined;
        result = { action: 'configured-present', ...(warning ? { warning } : {}) };
      }
    } else {
      const { rowCount } = await client.query(
        "SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) LIMIT 1",
      );
      if (rowCount) {
        result = { action: 'admin-present' };
      } else {
        const { secret } = await createToken(client, { principal: 'admin', role: 'admin', createdBy: 'first start' });
        result = { action: 'created', secret };
      }
    }
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
