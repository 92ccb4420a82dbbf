/** A run's metered attempts, read for `GET /v1/runs/:id`: the workers' own record of what started and ended. */
import type { Queryable } from '../queryable';

/** One attempt of a run as its worker recorded it. */
export interface RunAttempt {
  taskId: string;
  attempt: number;
  worker: string;
  startedAt: Date;
  endedAt: Date | null;
  /** `running` until the worker closes the row; then the attempt's outcome. */
  outcome: string;
}

/** Every metered attempt of `runId`, oldest first; one index range of the ledger's primary key. */
export async function runAttempts(db: Queryable, runId: string): Promise<RunAttempt[]> {
  const { rows } = await db.query<{
    task_id: string;
    attempt: number;
    worker: string;
    started_at: Date;
    ended_at: Date | null;
    outcome: string;
  }>(
    `SELECT task_id, attempt, worker, started_at, ended_at, outcome FROM task_attempts
     WHERE run_id = $1 ORDER BY task_id, attempt LIMIT 100`,
    [runId],
  );
  return rows.map((r) => ({
    taskId: r.task_id,
    attempt: r.attempt,
    worker: r.worker,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    outcome: r.outcome,
  }));
}
