/**
 * The `alert_states` and `alert_rule_evaluations` tables: each (rule, subject)'s current state, changed
 * under the row's lock so that two evaluations running at once never both make one transition (and so
 * never both record its notification), and when each rule was last evaluated.
 */
import type { Pool } from 'pg';
import type { AlertState } from '../../workflows/contracts/alert-rules';
import type { Queryable } from '../queryable';

/** A subject's state as the lock found it, with the database's clock at that moment. */
export interface LockedAlertState {
  state: AlertState;
  since: Date;
  now: Date;
}

/** What an evaluation decided for a subject: its new state, and the notification the change calls for. */
export interface AlertDecision {
  state: AlertState;
  /** True when the state changed, so `since` becomes now. */
  changed: boolean;
  event?: 'fired' | 'resolved';
  value: number | null;
  message: string;
}

/** One (rule, subject) judgement to apply. */
export interface AlertJudgement {
  rule: string;
  subject: string;
  /** When the evaluation started: a row judged by a later one is left alone. */
  evaluatedAt: Date;
  /** Creates an `ok` row when there is none (the condition holds); false only updates a row that exists. */
  create: boolean;
  decide: (current: LockedAlertState) => AlertDecision;
}

/** Applies one judgement in a transaction; returns the event it recorded, if any. */
export async function applyAlertJudgement(db: Pool, j: AlertJudgement): Promise<'fired' | 'resolved' | undefined> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    if (j.create) {
      await client.query(
        `INSERT INTO alert_states (rule, subject, state, since, evaluated_at) VALUES ($1, $2, 'ok', now(), '-infinity')
         ON CONFLICT DO NOTHING`,
        [j.rule, j.subject],
      );
    }
    const { rows } = await client.query<{ state: AlertState; since: Date; evaluated_at: Date; now: Date }>(
      'SELECT state, since, evaluated_at, now() AS now FROM alert_states WHERE rule = $1 AND subject = $2 FOR UPDATE',
      [j.rule, j.subject],
    );
    const row = rows[0];
    if (!row || row.evaluated_at > j.evaluatedAt) {
      await client.query('COMMIT');
      return undefined;
    }
    const d = j.decide({ state: row.state, since: row.since, now: row.now });
    await client.query(
      `UPDATE alert_states SET state = $3, since = CASE WHEN $4 THEN now() ELSE since END, value = $5, message = $6,
         evaluated_at = $7 WHERE rule = $1 AND subject = $2`,
      [j.rule, j.subject, d.state, d.changed, d.value, d.message.slice(0, 2000), j.evaluatedAt],
    );
    let recorded: 'fired' | 'resolved' | undefined;
    if (d.event) {
      // The unique key makes a second record of the same transition impossible, whatever the caller did.
      const inserted = await client.query(
        `INSERT INTO alert_events (rule, subject, event, fired_at, value, message)
         VALUES ($1, $2, $3, CASE WHEN $3 = 'fired' THEN now() ELSE $4::timestamptz END, $5, $6) ON CONFLICT DO NOTHING`,
        [j.rule, j.subject, d.event, row.since, d.value, d.message.slice(0, 2000)],
      );
      if (inserted.rowCount === 1) recorded = d.event;
    }
    await client.query('COMMIT');
    return recorded;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The subjects of a rule whose state is not `ok`: an evaluation that no longer sees them holding resolves them. */
export async function listActiveSubjects(db: Queryable, rule: string): Promise<string[]> {
  const { rows } = await db.query<{ subject: string }>(
    "SELECT subject FROM alert_states WHERE rule = $1 AND state <> 'ok'",
    [rule],
  );
  return rows.map((r) => r.subject);
}

/** Records that a rule was evaluated (with the error that kept it from being judged); a later evaluation wins. */
export async function recordRuleEvaluation(
  db: Queryable,
  rule: string,
  evaluatedAt: Date,
  error: string | undefined,
): Promise<void> {
  await db.query(
    `INSERT INTO alert_rule_evaluations (rule, evaluated_at, error) VALUES ($1, $2, $3)
     ON CONFLICT (rule) DO UPDATE SET evaluated_at = EXCLUDED.evaluated_at, error = EXCLUDED.error
     WHERE alert_rule_evaluations.evaluated_at <= EXCLUDED.evaluated_at`,
    [rule, evaluatedAt, error?.slice(0, 1000) ?? null],
  );
}

/** Removes `ok` rows resolved before `cutoff` (workers come and go; their rows need not stay for ever). */
export async function removeOkAlertStatesBefore(db: Queryable, cutoff: Date): Promise<number> {
  const { rowCount } = await db.query("DELETE FROM alert_states WHERE state = 'ok' AND since < $1", [cutoff]);
  return rowCount ?? 0;
}

/** One subject's state, as the API lists it. */
export interface AlertSubjectState {
  rule: string;
  subject: string;
  state: AlertState;
  since: Date;
  value: number | null;
  message: string;
  evaluatedAt: Date;
}

/** What `GET /v1/alerts` shows of the table: subjects not `ok`, since when each rule's subjects last became ok, and its last evaluation. */
export interface AlertStateSnapshot {
  active: AlertSubjectState[];
  okSince: Map<string, Date>;
  evaluations: Map<string, { evaluatedAt: Date; error: string | null }>;
}

/** Reads the snapshot `GET /v1/alerts` is built from. */
export async function readAlertStates(db: Queryable): Promise<AlertStateSnapshot> {
  const [active, resolved, evaluations] = await Promise.all([
    db.query<{
      rule: string;
      subject: string;
      state: AlertState;
      since: Date;
      value: number | null;
      message: string;
      evaluated_at: Date;
    }>("SELECT * FROM alert_states WHERE state <> 'ok' ORDER BY rule, since, subject"),
    db.query<{ rule: string; since: Date }>(
      "SELECT rule, max(since) AS since FROM alert_states WHERE state = 'ok' GROUP BY rule",
    ),
    db.query<{ rule: string; evaluated_at: Date; error: string | null }>('SELECT * FROM alert_rule_evaluations'),
  ]);
  return {
    active: active.rows.map((r) => ({
      rule: r.rule,
      subject: r.subject,
      state: r.state,
      since: r.since,
      value: r.value,
      message: r.message,
      evaluatedAt: r.evaluated_at,
    })),
    okSince: new Map(resolved.rows.map((r) => [r.rule, r.since])),
    evaluations: new Map(evaluations.rows.map((r) => [r.rule, { evaluatedAt: r.evaluated_at, error: r.error }])),
  };
}
