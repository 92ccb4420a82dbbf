/**
 * Notifications of anomalies and budget crossings: recorded once per (kind, subject, period,
 * threshold), then posted to a Slack-compatible incoming webhook; a row is claimed before posting
 * so two analyses running at once do not both send it.
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

/** The JSON body Slack's incoming webhooks (and Mattermost, Rocket.Chat, Teams' Slack mode) accept: `text` plus blocks. */
export function slackPayload(n: CostNotification): { text: string; blocks: unknown[] } {
  const heading = n.kind === 'budget' ? `:money_with_wings: Budget alert: ${n.subject}` : `:chart_with_upwards_trend: Cost anomaly: ${n.subject}`;
  return {
    text: `${heading}\n${n.message}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: heading.replace(/^:[a-z_]+: /, '') } },
      { type: 'section', text: { type: 'mrkdwn', text: n.message } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Capstan cost analysis · ${n.kind} · ${n.period}${n.threshold ? ` · threshold ${n.threshold}` : ''}` }] },
    ],
  };
}

/** How long a claim holds before another sender may take the row over (its sender died mid-send). */
const CLAIM_LEASE = '5 minutes';

/**
 * Posts every unsent notification to `webhookUrl`; returns how many were sent. Without a URL nothing
 * is sent and rows stay unsent. A failed post releases its claim and throws, so the caller retries.
 */
export async function sendPendingNotifications(db: Pool, webhookUrl: string | undefined, timeoutMs = 10_000): Promise<number> {
  if (webhookUrl === undefined) return 0;
  const { rows } = await db.query(
    `UPDATE cost_notifications SET claimed_at = now(), attempts = attempts + 1
     WHERE sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < now() - interval '${CLAIM_LEASE}')
     RETURNING kind, subject, period, threshold, message`,
  );
  const claimed = rows as CostNotification[];
  for (let i = 0; i < claimed.length; i++) {
    const row = claimed[i]!;
    try {
      const response = await fetch(webhookUrl, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(slackPayload(row)), signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`webhook answered ${response.status} ${(await response.text()).slice(0, 200)}`);
    } catch (err) {
      // Release this row and the ones not tried yet, so the retry takes them at once instead of after the lease.
      await db.query('UPDATE cost_notifications SET last_error = $5 WHERE kind = $1 AND subject = $2 AND period = $3 AND threshold = $4', [...keyOf(row), (err as Error).message.slice(0, 500)]);
      for (const rest of claimed.slice(i)) await db.query('UPDATE cost_notifications SET claimed_at = NULL WHERE kind = $1 AND subject = $2 AND period = $3 AND threshold = $4 AND sent_at IS NULL', keyOf(rest));
      throw err;
    }
    await db.query('UPDATE cost_notifications SET sent_at = now(), last_error = NULL WHERE kind = $1 AND subject = $2 AND period = $3 AND threshold = $4', keyOf(row));
  }
  return claimed.length;
}

function keyOf(n: CostNotification): string[] {
  return [n.kind, n.subject, n.period, n.threshold];
}
