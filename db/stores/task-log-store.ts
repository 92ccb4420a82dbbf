/** Task logs in PostgreSQL: one log per task attempt, written in chunks of lines by the worker and read by the API. */
import type { Pool } from 'pg';
import type { AttemptKey } from './attempt-ledger';
import { sharedWriter, type SharedWriter, type WriteKind } from './write-batcher';

/** What the worker knows when an attempt's log opens. */
export interface LogOpen extends AttemptKey {
  worker: string;
  startedAt: Date;
  limitBytes: number;
}

/** Consecutive lines of one attempt, as stored. */
export interface LogChunk {
  seq: number;
  /** Number (from 1) of the first line in everything the command printed. */
  firstLine: number;
  /** Offset of the first byte in everything printed. */
  byteOffset: number;
  /** Which stream each line came from and when: consecutive lines of one stream read at one time share a run. */
  runs: LogRun[];
  /** The lines, each ending with a newline. */
  body: string;
}

/** Lines of one stream printed at one time: how many, `o` stdout, `e` stderr or `c` a note from Capstan, and milliseconds since the attempt started. */
export type LogRun = [lines: number, stream: 'o' | 'e' | 'c', ms: number];

/** Counters of an attempt's log, written with each chunk so a killed worker leaves them true up to its last write. */
export interface LogTotals {
  totalLines: number;
  totalBytes: number;
  cutLines: number;
  cutBytes: number;
}

/** An attempt's log as listed: who wrote it, when, how much, and whether it is still being written. */
export interface LogAttempt extends AttemptKey, LogTotals {
  worker: string;
  startedAt: Date;
  lastWriteAt: Date;
  endedAt: Date | null;
  limitBytes: number;
  removedAt: Date | null;
}

/** Which chunks to read: after a sequence number (a resumed stream), or those holding a line range. */
export interface ChunkQuery {
  afterSeq?: number;
  fromLine?: number;
  toLine?: number;
  limit: number;
}

/** An attempt's whole log, written at its end: its row, already ended, and its one chunk. */
export interface WholeLog extends LogOpen {
  totals: LogTotals;
  chunk: LogChunk;
}

/** Lines in a chunk: the sum of its runs' line counts. */
function lineCountOf(chunk: LogChunk): number {
  return chunk.runs.reduce((lines, [n]) => lines + n, 0);
}

/** A chunk's columns in the order its INSERTs list them: seq, first_line, byte_offset, line_count, runs, body. */
function chunkParams(chunk: LogChunk): unknown[] {
  return [chunk.seq, chunk.firstLine, chunk.byteOffset, lineCountOf(chunk), JSON.stringify(chunk.runs), chunk.body];
}

/** A log's counters in the order its statements list them: total_lines, total_bytes, cut_lines, cut_bytes. */
function totalsParams(totals: LogTotals): unknown[] {
  return [totals.totalLines, totals.totalBytes, totals.cutLines, totals.cutBytes];
}

/** Reads and writes the `task_logs` tables; every method is one statement, so it suits the embedded database too. */
export class TaskLogStore {
  /** Whole logs of attempts ending together (a fan-out's light tasks) go in one statement, with their metering. */
  private readonly writer: SharedWriter;
  private readonly wholes: WriteKind<WholeLog> = {
    name: 'whole_log',
    one: (log) => this.writeWholeOne(log),
    row: wholeRow,
    ctes: wholeCtes,
  };

  constructor(private readonly db: Pool) {
    this.writer = sharedWriter(db);
  }

  /**
   * Writes the whole log of an attempt that printed less than one chunk before it ended: the row (ended) and the
   * chunk together, where open, append and close would cost three statements. A redelivered attempt's earlier
   * chunks are replaced, as `open` does.
   */
  writeWhole(log: WholeLog): Promise<void> {
    return this.writer.write(this.wholes, log);
  }

  // Alone, plain parameters: cheaper for the database than reading one row out of JSON.
  private async writeWholeOne(log: WholeLog): Promise<void> {
    const { chunk, totals } = log;
    await this.db.query(
      `WITH gone AS (DELETE FROM task_log_chunks WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND seq > $11),
       logged AS (
         INSERT INTO task_logs (run_id, task_id, attempt, worker, started_at, last_write_at, ended_at, limit_bytes,
           total_lines, total_bytes, cut_lines, cut_bytes)
         VALUES ($1, $2, $3, $4, $5, now(), now(), $6, $7, $8, $9, $10)
         ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET worker = $4, started_at = $5, last_write_at = now(),
           ended_at = now(), limit_bytes = $6, total_lines = $7, total_bytes = $8, cut_lines = $9, cut_bytes = $10
         RETURNING run_id)
       INSERT INTO task_log_chunks (run_id, task_id, attempt, seq, first_line, byte_offset, line_count, runs, body)
       SELECT $1, $2, $3, $11, $12, $13, $14, $15, $16 FROM logged
       ON CONFLICT (run_id, task_id, attempt, seq) DO UPDATE SET first_line = EXCLUDED.first_line,
         byte_offset = EXCLUDED.byte_offset, line_count = EXCLUDED.line_count, runs = EXCLUDED.runs, body = EXCLUDED.body`,
      [
        log.runId,
        log.taskId,
        log.attempt,
        log.worker,
        log.startedAt,
        log.limitBytes,
        ...totalsParams(totals),
        ...chunkParams(chunk),
      ],
    );
  }

  /** Opens (or, for a redelivered attempt, reopens empty) the attempt's log. */
  async open(log: LogOpen): Promise<void> {
    await this.db.query(
      `WITH gone AS (DELETE FROM task_log_chunks WHERE run_id = $1 AND task_id = $2 AND attempt = $3)
       INSERT INTO task_logs (run_id, task_id, attempt, worker, started_at, last_write_at, limit_bytes)
       VALUES ($1, $2, $3, $4, $5, $5, $6)
       ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET worker = $4, started_at = $5, last_write_at = $5,
         ended_at = NULL, total_lines = 0, total_bytes = 0, cut_lines = 0, cut_bytes = 0, limit_bytes = $6`,
      [log.runId, log.taskId, log.attempt, log.worker, log.startedAt, log.limitBytes],
    );
  }

  /**
   * Appends a chunk and updates the counters in one statement; with `dropThroughSeq` it also deletes
   * the tail chunks up to that sequence number that the size limit no longer keeps; with `end` it also closes the log,
   * so the last chunk of a short attempt and its close cost one statement.
   */
  async append(
    key: AttemptKey,
    chunk: LogChunk,
    totals: LogTotals,
    dropAfterSeq = 0,
    dropThroughSeq = 0,
    end = false,
  ): Promise<void> {
    await this.db.query(
      `WITH added AS (
         INSERT INTO task_log_chunks (run_id, task_id, attempt, seq, first_line, byte_offset, line_count, runs, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING),
       dropped AS (
         DELETE FROM task_log_chunks WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND seq > $14 AND seq <= $15)
       UPDATE task_logs SET last_write_at = now(), total_lines = $10, total_bytes = $11, cut_lines = $12, cut_bytes = $13,
         ended_at = CASE WHEN $16::boolean THEN now() ELSE ended_at END
       WHERE run_id = $1 AND task_id = $2 AND attempt = $3`,
      [
        key.runId,
        key.taskId,
        key.attempt,
        ...chunkParams(chunk),
        ...totalsParams(totals),
        dropAfterSeq,
        dropThroughSeq,
        end,
      ],
    );
  }

  /** Marks the log as still being written while the command prints nothing. */
  async touch(key: AttemptKey): Promise<void> {
    await this.db.query(
      'UPDATE task_logs SET last_write_at = now() WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND ended_at IS NULL',
      [key.runId, key.taskId, key.attempt],
    );
  }

  /** Closes the log: readers following it stop once they have read every chunk. */
  async close(key: AttemptKey, totals: LogTotals): Promise<void> {
    await this.db.query(
      `UPDATE task_logs SET ended_at = now(), last_write_at = now(), total_lines = $4, total_bytes = $5, cut_lines = $6, cut_bytes = $7
       WHERE run_id = $1 AND task_id = $2 AND attempt = $3`,
      [key.runId, key.taskId, key.attempt, totals.totalLines, totals.totalBytes, totals.cutLines, totals.cutBytes],
    );
  }

  /**
   * The attempts logged for task `taskId` of a run, oldest first; with `withRestarts`, also those of
   * its restarts (`<taskId>@restart-N`, a pipeline job run again after its worker was lost).
   */
  async attempts(runId: string, taskId: string, withRestarts = false): Promise<LogAttempt[]> {
    const { rows } = await this.db.query(
      `SELECT run_id, task_id, attempt, worker, started_at, last_write_at, ended_at, total_lines, total_bytes,
              cut_lines, cut_bytes, limit_bytes, removed_at
       FROM task_logs
       WHERE run_id = $1 AND (task_id = $2 OR ($3 AND left(task_id, length($2) + 9) = $2 || '@restart-'))
       ORDER BY started_at, attempt`,
      [runId, taskId, withRestarts],
    );
    return rows.map((r: Record<string, unknown>): LogAttempt => ({
      runId: r.run_id as string,
      taskId: r.task_id as string,
      attempt: r.attempt as number,
      worker: r.worker as string,
      startedAt: r.started_at as Date,
      lastWriteAt: r.last_write_at as Date,
      endedAt: (r.ended_at as Date | null) ?? null,
      totalLines: Number(r.total_lines),
      totalBytes: Number(r.total_bytes),
      cutLines: Number(r.cut_lines),
      cutBytes: Number(r.cut_bytes),
      limitBytes: Number(r.limit_bytes),
      removedAt: (r.removed_at as Date | null) ?? null,
    }));
  }

  /** The attempt's chunks in order, at most `limit` of them. */
  async chunks(key: AttemptKey, query: ChunkQuery): Promise<LogChunk[]> {
    const { rows } = await this.db.query(
      `SELECT seq, first_line, byte_offset, runs, body FROM task_log_chunks
       WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND seq > $4
         AND first_line + line_count > $5 AND first_line <= $6
       ORDER BY seq LIMIT $7`,
      [
        key.runId,
        key.taskId,
        key.attempt,
        query.afterSeq ?? 0,
        query.fromLine ?? 0,
        query.toLine ?? Number.MAX_SAFE_INTEGER,
        query.limit,
      ],
    );
    return rows.map(chunkOf);
  }

  /** The attempt's last `limit` chunks, newest first (for a tail). */
  async lastChunks(key: AttemptKey, limit: number): Promise<LogChunk[]> {
    const { rows } = await this.db.query(
      `SELECT seq, first_line, byte_offset, runs, body FROM task_log_chunks
       WHERE run_id = $1 AND task_id = $2 AND attempt = $3 ORDER BY seq DESC LIMIT $4`,
      [key.runId, key.taskId, key.attempt, limit],
    );
    return rows.map(chunkOf);
  }

  /** Removes the chunks of every log started before `cutoff`, keeping each log's row; returns how many chunks went. */
  async removeOlderThan(cutoff: Date): Promise<number> {
    const result = await this.db.query(
      `WITH expired AS (
         UPDATE task_logs SET removed_at = now() WHERE started_at < $1 AND removed_at IS NULL
         RETURNING run_id, task_id, attempt)
       DELETE FROM task_log_chunks c USING expired e
       WHERE c.run_id = e.run_id AND c.task_id = e.task_id AND c.attempt = e.attempt`,
      [cutoff],
    );
    return result.rowCount ?? 0;
  }
}

function chunkOf(r: Record<string, unknown>): LogChunk {
  return {
    seq: r.seq as number,
    firstLine: Number(r.first_line),
    byteOffset: Number(r.byte_offset),
    runs: JSON.parse(r.runs as string) as LogRun[],
    body: r.body as string,
  };
}

function wholeRow(l: WholeLog): unknown {
  return {
    run_id: l.runId,
    task_id: l.taskId,
    attempt: l.attempt,
    worker: l.worker,
    started_at: l.startedAt.toISOString(),
    limit_bytes: l.limitBytes,
    total_lines: l.totals.totalLines,
    total_bytes: l.totals.totalBytes,
    cut_lines: l.totals.cutLines,
    cut_bytes: l.totals.cutBytes,
    seq: l.chunk.seq,
    first_line: l.chunk.firstLine,
    byte_offset: l.chunk.byteOffset,
    line_count: lineCountOf(l.chunk),
    runs: JSON.stringify(l.chunk.runs),
    body: l.chunk.body,
  };
}

/** Whole logs of several attempts, as writeWholeOne writes each; a chunk is inserted once its row is. */
function wholeCtes(param: string): string {
  return `whole_log_in AS (
      SELECT * FROM jsonb_to_recordset(${param}) AS x(run_id text, task_id text, attempt integer, worker text,
        started_at timestamptz, limit_bytes bigint, total_lines bigint, total_bytes bigint, cut_lines bigint,
        cut_bytes bigint, seq integer, first_line bigint, byte_offset bigint, line_count integer, runs text, body text)),
    whole_log_gone AS (
      DELETE FROM task_log_chunks c USING whole_log_in AS i
      WHERE c.run_id = i.run_id AND c.task_id = i.task_id AND c.attempt = i.attempt AND c.seq > i.seq),
    whole_log_logged AS (
      INSERT INTO task_logs (run_id, task_id, attempt, worker, started_at, last_write_at, ended_at, limit_bytes,
        total_lines, total_bytes, cut_lines, cut_bytes)
      SELECT run_id, task_id, attempt, worker, started_at, now(), now(), limit_bytes, total_lines, total_bytes,
        cut_lines, cut_bytes FROM whole_log_in
      ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET worker = EXCLUDED.worker, started_at = EXCLUDED.started_at,
        last_write_at = now(), ended_at = now(), limit_bytes = EXCLUDED.limit_bytes, total_lines = EXCLUDED.total_lines,
        total_bytes = EXCLUDED.total_bytes, cut_lines = EXCLUDED.cut_lines, cut_bytes = EXCLUDED.cut_bytes
      RETURNING run_id, task_id, attempt),
    whole_log_chunks AS (
      INSERT INTO task_log_chunks (run_id, task_id, attempt, seq, first_line, byte_offset, line_count, runs, body)
      SELECT i.run_id, i.task_id, i.attempt, i.seq, i.first_line, i.byte_offset, i.line_count, i.runs, i.body
      FROM whole_log_in AS i
      JOIN whole_log_logged AS l ON l.run_id = i.run_id AND l.task_id = i.task_id AND l.attempt = i.attempt
      ON CONFLICT (run_id, task_id, attempt, seq) DO UPDATE SET first_line = EXCLUDED.first_line,
        byte_offset = EXCLUDED.byte_offset, line_count = EXCLUDED.line_count, runs = EXCLUDED.runs, body = EXCLUDED.body)`;
}
