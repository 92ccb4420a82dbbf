/**
 * One evaluation of every alert rule: read each rule's figures, judge them, and apply each subject's
 * change under its row lock (recording a fired or resolved event where the state changed). A rule whose
 * figures cannot be read keeps its states and records why, and the other rules are still judged.
 */
import type { Pool } from 'pg';
import {
  applyAlertJudgement,
  listActiveSubjects,
  recordRuleEvaluation,
  removeOkAlertStatesBefore,
} from '../../db/stores/alert-states';
import type { AlertRule } from '../../workflows/contracts/alert-rules';
import { judgeRule, type Finding } from './judge';
import type { AlertSources } from './sources';
import { decideAlert } from './transition';

/** Input of `evaluateAlerts`: the rules (from the API's rules file) and the configured node classes. */
export interface EvaluateAlertsInput {
  rules: AlertRule[];
  nodeClasses: string[];
}

/** What one evaluation did. */
export interface EvaluateAlertsResult {
  fired: number;
  resolved: number;
  /** Rules whose figures could not be read, with why. */
  errors: Array<{ rule: string; error: string }>;
}

/** Ok rows older than this are removed: a worker that left long ago need not keep a row. */
const KEEP_OK_MS = 7 * 86_400_000;

/** Evaluates every rule once. */
export async function evaluateAlerts(
  db: Pool,
  sources: AlertSources,
  input: EvaluateAlertsInput,
): Promise<EvaluateAlertsResult> {
  const evaluatedAt = new Date();
  const result: EvaluateAlertsResult = { fired: 0, resolved: 0, errors: [] };
  for (const rule of input.rules) {
    let findings: Finding[];
    try {
      findings = judgeRule(rule, await sources.figures(rule, input.nodeClasses));
    } catch (err) {
      const error = (err as Error).message;
      result.errors.push({ rule: rule.name, error });
      await recordRuleEvaluation(db, rule.name, evaluatedAt, error);
      continue;
    }
    for (const event of await applyFindings(db, rule, findings, evaluatedAt)) {
      if (event === 'fired') result.fired += 1;
      if (event === 'resolved') result.resolved += 1;
    }
    await recordRuleEvaluation(db, rule.name, evaluatedAt, undefined);
  }
  await removeOkAlertStatesBefore(db, new Date(evaluatedAt.getTime() - KEEP_OK_MS));
  return result;
}

/** Applies a rule's findings, and resolves its active subjects that were not observed this time. */
async function applyFindings(
  db: Pool,
  rule: AlertRule,
  findings: Finding[],
  evaluatedAt: Date,
): Promise<Array<'fired' | 'resolved' | undefined>> {
  const bySubject = new Map(findings.map((f) => [f.subject, f]));
  const subjects = new Set([
    ...findings.filter((f) => f.holds).map((f) => f.subject),
    ...(await listActiveSubjects(db, rule.name)),
  ]);
  const events: Array<'fired' | 'resolved' | undefined> = [];
  for (const subject of subjects) {
    const found = bySubject.get(subject);
    events.push(
      await applyAlertJudgement(db, {
        rule: rule.name,
        subject,
        evaluatedAt,
        create: found?.holds === true,
        decide: (current) => decideAlert(current, found, rule.forSeconds),
      }),
    );
  }
  return events;
}
