/** Writes task-attempt metering rows: one per (run, task, attempt), opened when the attempt starts and closed once. */
import type { Pool } from 'pg';
import { sharedWriter, type SharedWriter, type WriteKind } from './write-batcher';

/** How a metered attempt ended. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'lost' | 'error';

/** Names one task attempt; the table's primary key. */
export interface AttemptKey {
  runId: string;
  taskId: string;
  attempt: number;
}

/** What is known when an attempt starts. */
export interface AttemptStart extends AttemptKey {
  runKind: string;
  nodeClass: string;
  worker: string;
  activityId: string;
  labels: Record<string, string>;
  startedAt: Date;
  /** How long the attempt waited in its task queue before a worker took it, when Temporal says. */
  queueWaitMs?: number;
  /** Task-id prefix whose open attempts this one replaces (a pipeline job restarted on another worker). */
  supersedes?: string;
}

/** What is known when an attempt ends. */
export interface AttemptEnd {
  outcome: AttemptOutcome;
  endedAt: Date;
  exitCode?: number;
  detail?: string;
}

/** The metering table, reached through a pool; every method is one statement (no transactions), so it also suits the embedded database. */
export class AttemptLedger {
  /** Starts and ends of concurrent attempts are written together, with their logs: all are on every attempt's path. */
  private readonly writer: SharedWriter;
  private readonly starts: WriteKind<AttemptStart> = {
    name: 'attempt_start',
    one: (start) => this.startOne(start),
    row: startRow,
    ctes: startCtes,
  };
  private readonly ends: WriteKind<AttemptKey & AttemptEnd> = {
    name: 'attempt_end',
    one: (end) => this.endOne(end),
    row: endRow,
    ctes: endCtes,
  };

  constructor(private readonly db: Pool) {
    this.writer = sharedWriter(db);
  }

  /**
   * Opens the attempt's row. A redelivered start finds the row there and changes nothing. Earlier
   * attempts of the same task still open were lost with their worker: Temporal only starts this
   * one after their heartbeat timed out, so they are closed here at once.
   */
  recordStart(start: AttemptStart): Promise<void> {
    return this.writer.write(this.starts, start);
  }

  // One statement, not three: it is on every attempt's path before its command runs.
  private async startOne(start: AttemptStart): Promise<void> {
    await this.db.query(
      `WITH opened AS (
         INSERT INTO task_attempts (run_id, task_id, attempt, run_kind, node_class, worker, activity_id, labels, started_at, last_seen_at, queue_wait_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $11)
         ON CONFLICT (run_id, task_id, attempt) DO NOTHING),
       earlier AS (
         UPDATE task_attempts SET outcome = 'lost', ended_at = last_seen_at,
           duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM (last_seen_at - started_at)) * 1000)::bigint),
           detail = 'worker stopped heartbeating; Temporal started attempt ' || $3::text
         WHERE run_id = $1 AND task_id = $2 AND attempt < $3 AND ended_at IS NULL)
       UPDATE task_attempts SET outcome = 'lost', ended_at = last_seen_at,
         duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM (last_seen_at - started_at)) * 1000)::bigint),
         detail = 'worker lost; the job restarted on another worker'
       WHERE $10::text IS NOT NULL AND run_id = $1 AND left(task_id, length($10)) = $10 AND task_id <> $2
         AND ended_at IS NULL`,
      [
        start.runId,
        start.taskId,
        start.attempt,
        start.runKind,
        start.nodeClass,
        start.worker,
        start.activityId,
        JSON.stringify(start.labels),
        start.startedAt,
        start.supersedes ?? null,
        start.queueWaitMs ?? null,
      ],
    );
  }

  /** Marks the attempt as still running, so the sweeper does not take it for lost. */
  async touch(key: AttemptKey, at: Date): Promise<void> {
    await this.db.query(
      'UPDATE task_attempts SET last_seen_at = $4 WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND ended_at IS NULL',
      [key.runId, key.taskId, key.attempt, at],
    );
  }

  /** Closes the attempt's row; a second close (a redelivered completion) finds it closed and changes nothing. */
  recordEnd(key: AttemptKey, end: AttemptEnd): Promise<void> {
    return this.writer.write(this.ends, { ...key, ...end });
  }

  private async endOne(end: AttemptKey & AttemptEnd): Promise<void> {
    await this.db.query(
      `UPDATE task_attempts SET outcome = $4, ended_at = $5, last_seen_at = $5, exit_code = $6, detail = $7,
         duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM ($5::timestamptz - started_at)) * 1000)::bigint)
       WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND ended_at IS NULL`,
      [
        end.runId,
        end.taskId,
        end.attempt,
        end.outcome,
        end.endedAt,
        end.exitCode ?? null,
        end.detail?.slice(0, 1000) ?? null,
      ],
    );
  }

  /** Closes as lost every open attempt not seen since `before` (its worker died and no retry followed); returns how many. */
  async closeLost(before: Date): Promise<number> {
    const result = await this.db.query(
      `UPDATE task_attempts SET outcome = 'lost', ended_at = last_seen_at,
         duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM (last_seen_at - started_at)) * 1000)::bigint),
         detail = 'worker stopped reporting the attempt'
       WHERE ended_at IS NULL AND last_seen_at < $1`,
      [before],
    );
    return result.rowCount ?? 0;
  }
}

function endRow(e: AttemptKey & AttemptEnd): unknown {
  return {
    run_id: e.runId,
    task_id: e.taskId,
    attempt: e.attempt,
    outcome: e.outcome,
    ended_at: e.endedAt.toISOString(),
    exit_code: e.exitCode ?? null,
    detail: e.detail?.slice(0, 1000) ?? null,
  };
}

/** The ends of several attempts, as endOne writes each. */
function endCtes(param: string): string {
  return `attempt_end_in AS (
      SELECT * FROM jsonb_to_recordset(${param}) AS x(run_id text, task_id text, attempt integer, outcome text,
        ended_at timestamptz, exit_code integer, detail text)),
    attempt_end_closed AS (
      UPDATE task_attempts t SET outcome = i.outcome, ended_at = i.ended_at, last_seen_at = i.ended_at,
        exit_code = i.exit_code, detail = i.detail,
        duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM (i.ended_at - t.started_at)) * 1000)::bigint)
      FROM attempt_end_in AS i
      WHERE t.run_id = i.run_id AND t.task_id = i.task_id AND t.attempt = i.attempt AND t.ended_at IS NULL)`;
}

function startRow(s: AttemptStart): unknown {
  return {
    run_id: s.runId,
    task_id: s.taskId,
    attempt: s.attempt,
    run_kind: s.runKind,
    node_class: s.nodeClass,
    worker: s.worker,
    activity_id: s.activityId,
    labels: s.labels,
    started_at: s.startedAt.toISOString(),
    supersedes: s.supersedes ?? null,
    queue_wait_ms: s.queueWaitMs ?? null,
  };
}

/** The starts of several attempts, as startOne writes each. */
function startCtes(param: string): string {
  return `attempt_start_in AS (
      SELECT * FROM jsonb_to_recordset(${param}) AS x(run_id text, task_id text, attempt integer, run_kind text,
        node_class text, worker text, activity_id text, labels jsonb, started_at timestamptz, supersedes text, queue_wait_ms bigint)),
    attempt_start_opened AS (
      INSERT INTO task_attempts (run_id, task_id, attempt, run_kind, node_class, worker, activity_id, labels, started_at, last_seen_at, queue_wait_ms)
      SELECT run_id, task_id, attempt, run_kind, node_class, worker, activity_id, labels, started_at, started_at, queue_wait_ms
      FROM attempt_start_in
      ON CONFLICT (run_id, task_id, attempt) DO NOTHING),
    attempt_start_earlier AS (
      UPDATE task_attempts t SET outcome = 'lost', ended_at = t.last_seen_at,
        duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM (t.last_seen_at - t.started_at)) * 1000)::bigint),
        detail = 'worker stopped heartbeating; Temporal started attempt ' || i.attempt::text
      FROM attempt_start_in AS i
      WHERE t.run_id = i.run_id AND t.task_id = i.task_id AND t.attempt < i.attempt AND t.ended_at IS NULL),
    attempt_start_superseded AS (
      UPDATE task_attempts t SET outcome = 'lost', ended_at = t.last_seen_at,
        duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM (t.last_seen_at - t.started_at)) * 1000)::bigint),
        detail = 'worker lost; the job restarted on another worker'
      FROM attempt_start_in AS i
      WHERE i.supersedes IS NOT NULL AND t.run_id = i.run_id AND left(t.task_id, length(i.supersedes)) = i.supersedes
        AND t.task_id <> i.task_id AND t.ended_at IS NULL)`;
}
