/**
 * The `cost_notifications` table: each anomaly or budget crossing is recorded once per (kind,
 * subject, period, threshold), and a row is claimed before it is posted so two senders do not both
 * post it.
 */
import type { Pool } from 'pg';

/** A notification to record. */
export interface CostNotification {
  kind: 'budget' | 'anomaly';
  subject: string;
  period: string;
  threshold: string;
  message: string;
}

/** Records the notification unless it was recorded before; true if this call recorded it. */
export async function recordNotification(db: Pool, n: CostNotification): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO cost_notifications (kind, subject, period, threshold, message) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (kind, subject, period, threshold) DO NOTHING`,
    [n.kind, n.subject, n.period, n.threshold, n.message],
  );
  return rowCount === 1;
}

/** How long a claim holds before another sender may take the row over (its sender died mid-send). */
const CLAIM_LEASE = '5 minutes';

/** Claims every unsent notification that no live sender holds, and returns them. */
export async function claimUnsentNotifications(db: Pool): Promise<CostNotification[]> {
  const { rows } = await db.query(
    `UPDATE cost_notifications SET claimed_at = now(), attempts = attempts + 1
     WHERE sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < now() - interval '${CLAIM_LEASE}')
     RETURNING kind, subject, period, threshold, message`,
  );
  return rows as CostNotification[];
}

/** Keeps why posting a notification failed. */
export async function recordNotificationError(db: Pool, n: CostNotification, message: string): Promise<void> {
  await db.query(
    'UPDATE cost_notifications SET last_error = $5 WHERE kind = $1 AND subject = $2 AND period = $3 AND threshold = $4',
    [...keyOf(n), message.slice(0, 500)],
  );
}

/** Gives an unsent notification's claim back, so the next sender takes it at once instead of after the lease. */
export async function releaseNotification(db: Pool, n: CostNotification): Promise<void> {
  await db.query(
    `UPDATE cost_notifications SET claimed_at = NULL
     WHERE kind = $1 AND subject = $2 AND period = $3 AND threshold = $4 AND sent_at IS NULL`,
    keyOf(n),
  );
}

/** Marks a notification as posted. */
export async function markNotificationSent(db: Pool, n: CostNotification): Promise<void> {
  await db.query(
    'UPDATE cost_notifications SET sent_at = now(), last_error = NULL WHERE kind = $1 AND subject = $2 AND period = $3 AND threshold = $4',
    keyOf(n),
  );
}

function keyOf(n: CostNotification): string[] {
  return [n.kind, n.subject, n.period, n.threshold];
}
