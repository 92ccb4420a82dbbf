/** The views of `GET /v1/alerts` (each rule's state) and `GET /v1/alerts/history`, from the alert tables. */
import type { Pool } from 'pg';
import { listAlertEvents, type AlertEvent } from '../../db/stores/alert-events';
import { readAlertStates, type AlertSubjectState } from '../../db/stores/alert-states';
import type { AlertRule, AlertState } from '../../workflows/contracts/alert-rules';
import type { AlertSettings } from './deps';

/** One subject of a rule that is firing or pending. */
export interface AlertSubjectView {
  subject: string;
  state: Exclude<AlertState, 'ok'>;
  since: string;
  value: number | null;
  message: string;
}

/** A rule and where it stands. */
export interface AlertRuleView {
  name: string;
  kind: AlertRule['kind'];
  /** `firing` when any subject fires, `pending` when any holds for less than `forSeconds`, else `ok`. */
  state: AlertState;
  /** Since when the rule has been in this state (for `ok`: when its last subject became ok; null: never held). */
  since: string | null;
  subjects: AlertSubjectView[];
  lastEvaluatedAt: string | null;
  /** Why the last evaluation could not read this rule's figures; its states were kept as they were. */
  lastError: string | null;
  rule: AlertRule;
}

/** Every configured rule with its state, in the file's order. */
export async function listAlertRules(db: Pool, settings: AlertSettings | undefined) {
  const snapshot = await readAlertStates(db);
  const rules = (settings?.rules ?? []).map((rule): AlertRuleView => {
    const subjects = snapshot.active.filter((s) => s.rule === rule.name);
    const firing = subjects.filter((s) => s.state === 'firing');
    const shown = firing.length > 0 ? firing : subjects;
    const state: AlertState = firing.length > 0 ? 'firing' : subjects.length > 0 ? 'pending' : 'ok';
    const evaluation = snapshot.evaluations.get(rule.name);
    const since = state === 'ok' ? snapshot.okSince.get(rule.name) : earliest(shown);
    return {
      name: rule.name,
      kind: rule.kind,
      state,
      since: since?.toISOString() ?? null,
      subjects: subjects.map(subjectView),
      lastEvaluatedAt: evaluation?.evaluatedAt.toISOString() ?? null,
      lastError: evaluation?.error ?? null,
      rule,
    };
  });
  return {
    file: settings?.file ?? null,
    intervalSeconds: settings?.intervalSeconds ?? null,
    scheduleId: settings?.scheduleId ?? null,
    rules,
  };
}

function earliest(states: AlertSubjectState[]): Date | undefined {
  return states.reduce<Date | undefined>((min, s) => (min === undefined || s.since < min ? s.since : min), undefined);
}

function subjectView(s: AlertSubjectState): AlertSubjectView {
  return {
    subject: s.subject,
    state: s.state as Exclude<AlertState, 'ok'>,
    since: s.since.toISOString(),
    value: s.value,
    message: s.message,
  };
}

/** The alert history, newest first. */
export async function listAlertHistory(db: Pool, query: { limit: number; rule?: string }) {
  return { events: (await listAlertEvents(db, query)).map(eventView) };
}

function eventView(e: AlertEvent) {
  return {
    id: e.id,
    rule: e.rule,
    subject: e.subject,
    event: e.event,
    at: e.at.toISOString(),
    firedAt: e.firedAt.toISOString(),
    value: e.value,
    message: e.message,
    notifiedAt: e.sentAt?.toISOString() ?? null,
    notifyAttempts: e.attempts,
    notifyError: e.lastError,
  };
}
