/** The `runs` table: who started each run through the API, with its kind, name and labels. */
import type { Queryable } from '../queryable';

/** One run as it is recorded when it starts. */
export interface RunRecord {
  runId: string;
  kind: string;
  name?: string;
  labels?: Record<string, string>;
  startedBy: string;
}

/** Records a run; true if this call wrote the row, false if it was there already (an Idempotency-Key replay). */
export async function recordRun(db: Queryable, run: RunRecord): Promise<boolean> {
  const { rowCount } = await db.query(
    'INSERT INTO runs (run_id, kind, name, labels, started_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id) DO NOTHING',
    [run.runId, run.kind, run.name ?? null, JSON.stringify(run.labels ?? {}), run.startedBy],
  );
  return rowCount === 1;
}

/** Makes a run's row name the principal who started it (the run's memo says who). */
export async function setRunStarter(db: Queryable, runId: string, startedBy: string): Promise<void> {
  await db.query('UPDATE runs SET started_by = $2 WHERE run_id = $1', [runId, startedBy]);
}

/** Removes a row `recordRun` wrote for a run that then did not start. */
export async function forgetRun(db: Queryable, runId: string): Promise<void> {
  await db.query('DELETE FROM runs WHERE run_id = $1', [runId]);
}
