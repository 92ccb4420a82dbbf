/** The chaos run's final figures: what happened to every start, the metering check, orphans; and whether it passed. */
import type { MeteringReport } from './accounting';
import type { KillCounts } from './killer';
import type { LoadRun } from './load';
import { PURPOSE_EXIT_CODE, type RunKind } from './specs';
import { TARGETS, type Target } from './stack';

/** How one started run ended, in the report's words. */
export type RunVerdict = 'completed' | 'failed on purpose' | 'lost';

/** The verdict on a started run, with the reason when it is lost. */
export function verdictOf(run: LoadRun): { verdict: RunVerdict; why?: string } {
  if (run.status === undefined) return { verdict: 'lost', why: 'never ended' };
  if (run.status === 'completed' && !run.planned.onPurpose) return { verdict: 'completed' };
  if (run.status === 'failed' && run.planned.onPurpose) {
    // Its own failure names the exit code it was made to fail with; any other failure is the chaos's doing.
    const text = JSON.stringify(run.view);
    if (new RegExp(`code ${PURPOSE_EXIT_CODE}\\b|"exitCode":${PURPOSE_EXIT_CODE}\\b`).test(text))
      return { verdict: 'failed on purpose' };
    return { verdict: 'lost', why: `failed, but not with exit ${PURPOSE_EXIT_CODE}: ${failureText(run.view)}` };
  }
  return {
    verdict: 'lost',
    why: `${run.status}${run.planned.onPurpose ? ' (was made to fail)' : ''}: ${failureText(run.view)}`,
  };
}

function failureText(view: unknown): string {
  const v = view as { failure?: unknown; result?: unknown } | undefined;
  return JSON.stringify(v?.failure ?? v?.result ?? view ?? '').slice(0, 400);
}

/** Everything the report prints. */
export interface ChaosSummary {
  profile: string;
  minutes: number;
  storage: string;
  runs: LoadRun[];
  kills: Record<Target, number>;
  killCounts: KillCounts;
  metering: MeteringReport;
  orphans: string[];
  /** Processes seen reparented to init while the chaos ran (their worker or launcher was killed). */
  orphanedDuringRun: string[];
  settleSeconds: number;
}

/** The report's lines and whether the run passed (nothing lost, missing, doubled or orphaned). */
export function summarise(s: ChaosSummary): { lines: string[]; passed: boolean } {
  const started = s.runs.filter((r) => r.runId !== undefined);
  const refused = s.runs.filter((r) => r.refused !== undefined);
  const verdicts = started.map((r) => ({ run: r, ...verdictOf(r) }));
  const count = (v: RunVerdict, kind?: RunKind) =>
    verdicts.filter((x) => x.verdict === v && (kind === undefined || x.run.planned.kind === kind)).length;
  const lost = verdicts.filter((x) => x.verdict === 'lost');
  const retried = started.filter((r) => r.startRetries > 0).length;
  const m = s.metering;
  const lines = [
    `=== chaos run: profile ${s.profile}, ${s.minutes} min of load and kills ===`,
    `storage: ${s.storage}`,
    `kills (kill -9): ${TARGETS.map((t) => `${t} ${t in s.kills ? s.kills[t] : 'n/a (none in this profile)'}`).join(', ')}; total ${Object.values(s.kills).reduce((a, b) => a + b, 0)}`,
    `  by process: ${Object.entries(s.killCounts.kills)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}`,
    `  recoveries that failed: ${s.killCounts.failedRecoveries.length}${s.killCounts.failedRecoveries.map((f) => `\n    ${f}`).join('')}`,
    `starts: ${s.runs.length} sent; ${started.length} started (API answered with a run id; ${retried} needed retries with the same Idempotency-Key); ${refused.length} refused`,
    ...refused.slice(0, 5).map((r) => `  refused ${r.planned.kind}: ${r.refused}`),
    `runs started: ${started.length} (tasks ${started.filter((r) => r.planned.kind === 'task').length}, DAGs ${started.filter((r) => r.planned.kind === 'dag').length}, pipelines ${started.filter((r) => r.planned.kind === 'pipeline').length})`,
    `  completed:          ${count('completed')} (tasks ${count('completed', 'task')}, DAGs ${count('completed', 'dag')}, pipelines ${count('completed', 'pipeline')})`,
    `  failed on purpose:  ${count('failed on purpose')} (tasks ${count('failed on purpose', 'task')}, DAGs ${count('failed on purpose', 'dag')}, pipelines ${count('failed on purpose', 'pipeline')})`,
    `  lost:               ${lost.length}`,
    ...lost.slice(0, 10).map((x) => `    ${x.run.planned.kind} ${x.run.runId}: ${x.why}`),
    `  settle: every started run waited for up to ${s.settleSeconds} s after the load stopped`,
    `metering: ${m.executions} executions read; ${m.historyAttempts} metered activity attempts in the histories, ${m.rows} rows in task_attempts`,
    `  matched ${m.matched}; missing ${m.missing.length}; doubled ${m.doubled.length}; rows still open ${m.openRows.length}; rows of runs never started ${m.foreignRows.length}; unreadable runs ${m.unreadable.length}`,
    `  attempts with no row and no log whose worker died before the command started (not missing: the row is written before the command runs): ${m.neverRan.length}`,
    ...m.missing.slice(0, 5).map((k) => `    missing ${k}`),
    ...m.doubled.slice(0, 5).map((k) => `    doubled ${k}`),
    ...m.openRows.slice(0, 5).map((k) => `    open ${k}`),
    ...m.foreignRows.slice(0, 5).map((k) => `    foreign ${k}`),
    ...m.unreadable.slice(0, 5).map((k) => `    unreadable ${k}`),
    `orphaned processes (task processes, launchers or Capstan processes alive after the stack stopped): ${s.orphans.length}`,
    ...s.orphans.slice(0, 10).map((o) => `    ${o}`),
    `processes orphaned during the run (a task command or launcher whose worker was killed, still running under init): ${s.orphanedDuringRun.length}`,
    ...s.orphanedDuringRun.slice(0, 10).map((o) => `    ${o}`),
  ];
  const passed =
    lost.length === 0 &&
    m.missing.length === 0 &&
    m.doubled.length === 0 &&
    m.foreignRows.length === 0 &&
    m.unreadable.length === 0 &&
    m.openRows.length === 0 &&
    s.orphans.length === 0 &&
    s.orphanedDuringRun.length === 0 &&
    started.length > 0;
  lines.push(passed ? 'RESULT: PASS (0 lost, 0 missing, 0 doubled, 0 orphans)' : 'RESULT: FAIL');
  return { lines, passed };
}
