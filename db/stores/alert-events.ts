/**
 * The `alert_events` table: the history of alerts that fired and resolved. Each row is posted to the
 * webhook once: claimed before posting, so two senders never both post it, and released on failure.
 */
import type { Queryable } from '../queryable';

/** One fired or resolved alert. */
export interface AlertEvent {
  id: number;
  rule: string;
  subject: string;
  event: 'fired' | 'resolved';
  at: Date;
  /** When the alert started firing (for `resolved`, how long it fired is `at - firedAt`). */
  firedAt: Date;
  value: number | null;
  message: string;
  sentAt: Date | null;
  attempts: number;
  lastError: string | null;
}

interface EventRow {
  id: string;
  rule: string;
  subject: string;
  event: 'fired' | 'resolved';
  at: Date;
  fired_at: Date;
  value: number | null;
  message: string;
  sent_at: Date | null;
  attempts: number;
  last_error: string | null;
}

/** How long a claim holds before another sender may take the row over (its sender died mid-post). */
const CLAIM_LEASE = '2 minutes';

/**
 * At most this many events are claimed at once: posted one by one with a 10 s timeout each, a batch is done well
 * within the lease, so no claim runs out while its event is still being posted (which would let it be sent twice).
 */
const CLAIM_BATCH = 5;

/** Claims the oldest unsent events no live sender holds, a batch at a time; the next evaluation takes the rest. */
export async function claimUnsentAlertEvents(db: Queryable): Promise<AlertEvent[]> {
  const { rows } = await db.query<EventRow>(
    `UPDATE alert_events SET claimed_at = now(), attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM alert_events
       WHERE sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < now() - interval '${CLAIM_LEASE}')
       ORDER BY id LIMIT ${CLAIM_BATCH} FOR UPDATE SKIP LOCKED)
     RETURNING *`,
  );
  return rows.map(toEvent).sort((a, b) => a.id - b.id);
}

/** Marks an event as posted. */
export async function markAlertEventSent(db: Queryable, id: number): Promise<void> {
  await db.query('UPDATE alert_events SET sent_at = now(), last_error = NULL WHERE id = $1', [id]);
}

/** Gives an unsent event's claim back (with why its post failed), so the next sender takes it at once. */
export async function releaseAlertEvent(db: Queryable, id: number, error?: string): Promise<void> {
  await db.query(
    `UPDATE alert_events SET claimed_at = NULL, last_error = COALESCE($2, last_error) WHERE id = $1 AND sent_at IS NULL`,
    [id, error?.slice(0, 500) ?? null],
  );
}

/** The history, newest first, of one rule or all. */
export async function listAlertEvents(db: Queryable, q: { limit: number; rule?: string }): Promise<AlertEvent[]> {
  const { rows } = await db.query<EventRow>(
    'SELECT * FROM alert_events WHERE $2::text IS NULL OR rule = $2 ORDER BY id DESC LIMIT $1',
    [q.limit, q.rule ?? null],
  );
  return rows.map(toEvent);
}

function toEvent(row: EventRow): AlertEvent {
  return {
    id: Number(row.id),
    rule: row.rule,
    subject: row.subject,
    event: row.event,
    at: row.at,
    firedAt: row.fired_at,
    value: row.value,
    message: row.message,
    sentAt: row.sent_at,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}
