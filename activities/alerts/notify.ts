/**
 * Posts recorded alert events (fired, resolved) to a Slack-compatible incoming webhook, in the shape
 * cost notifications use. Each event is claimed before posting so two senders never both post it; a
 * failed post gives its claim back and throws, so a retry (or the next evaluation) sends it, once.
 */
import type { Pool } from 'pg';
import {
  claimUnsentAlertEvents,
  markAlertEventSent,
  releaseAlertEvent,
  type AlertEvent,
} from '../../db/stores/alert-events';

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 1 ? 'under a minute' : m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

/** The JSON body Slack's incoming webhooks (and Mattermost, Rocket.Chat, Teams' Slack mode) accept: `text` plus blocks. */
export function alertPayload(e: AlertEvent): { text: string; blocks: unknown[] } {
  const fired = e.event === 'fired';
  const heading = `${fired ? ':rotating_light: Alert firing' : ':white_check_mark: Alert resolved'}: ${e.rule} · ${e.subject}`;
  const context = fired
    ? `Capstan alerts · ${e.rule} · fired ${e.at.toISOString()}`
    : `Capstan alerts · ${e.rule} · fired ${e.firedAt.toISOString()}, resolved after ${minutes(e.at.getTime() - e.firedAt.getTime())}`;
  return {
    text: `${heading}\n${e.message}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: heading.replace(/^:[a-z_]+: /, '') } },
      { type: 'section', text: { type: 'mrkdwn', text: e.message } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context }] },
    ],
  };
}

/** Posts every unsent event to `webhookUrl`, oldest first; returns how many were sent (none without a URL). */
export async function sendAlertEvents(db: Pool, webhookUrl: string | undefined, timeoutMs = 10_000): Promise<number> {
  if (webhookUrl === undefined) return 0;
  const claimed = await claimUnsentAlertEvents(db);
  for (let i = 0; i < claimed.length; i++) {
    const event = claimed[i]!;
    try {
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alertPayload(event)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`webhook answered ${response.status} ${(await response.text()).slice(0, 200)}`);
    } catch (err) {
      // This event keeps the error; it and the ones not tried yet go back at once, so the retry sends them in order.
      await releaseAlertEvent(db, event.id, (err as Error).message);
      for (const rest of claimed.slice(i + 1)) await releaseAlertEvent(db, rest.id);
      throw err;
    }
    await markAlertEventSent(db, event.id);
  }
  return claimed.length;
}
