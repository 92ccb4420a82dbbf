/**
 * Notifications of anomalies and budget crossings: recorded once per (kind, subject, period,
 * threshold), then posted to a Slack-compatible incoming webhook; a row is claimed before posting
 * so two analyses running at once do not both send it.
 */
import type { Pool } from 'pg';
import {
  claimUnsentNotifications,
  markNotificationSent,
  recordNotificationError,
  releaseNotification,
  type CostNotification,
} from '../../db/stores/cost-notifications';

/** The JSON body Slack's incoming webhooks (and Mattermost, Rocket.Chat, Teams' Slack mode) accept: `text` plus blocks. */
function slackPayload(n: CostNotification): { text: string; blocks: unknown[] } {
  const heading =
    n.kind === 'budget'
      ? `:money_with_wings: Budget alert: ${n.subject}`
      : `:chart_with_upwards_trend: Cost anomaly: ${n.subject}`;
  return {
    text: `${heading}\n${n.message}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: heading.replace(/^:[a-z_]+: /, '') } },
      { type: 'section', text: { type: 'mrkdwn', text: n.message } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Capstan cost analysis · ${n.kind} · ${n.period}${n.threshold ? ` · threshold ${n.threshold}` : ''}`,
          },
        ],
      },
    ],
  };
}

/**
 * Posts every unsent notification to `webhookUrl`; returns how many were sent. Without a URL nothing
 * is sent and rows stay unsent. A failed post releases its claim and throws, so the caller retries.
 */
export async function sendPendingNotifications(
  db: Pool,
  webhookUrl: string | undefined,
  timeoutMs = 10_000,
): Promise<number> {
  if (webhookUrl === undefined) return 0;
  const claimed = await claimUnsentNotifications(db);
  for (let i = 0; i < claimed.length; i++) {
    const row = claimed[i]!;
    try {
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(slackPayload(row)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`webhook answered ${response.status} ${(await response.text()).slice(0, 200)}`);
    } catch (err) {
      // Release this row and the ones not tried yet, so the retry takes them at once instead of after the lease.
      await recordNotificationError(db, row, (err as Error).message);
      for (const rest of claimed.slice(i)) await releaseNotification(db, rest);
      throw err;
    }
    await markNotificationSent(db, row);
  }
  return claimed.length;
}
