-- Task logs: one log per task attempt (single tasks, DAG nodes, pipeline steps), keyed like task_attempts,
-- written by the worker that ran it and read by the API, so no filesystem is shared between them.
CREATE TABLE task_logs (
  run_id          text        NOT NULL,
  task_id         text        NOT NULL,
  attempt         integer     NOT NULL CHECK (attempt >= 1),
  worker          text        NOT NULL,
  started_at      timestamptz NOT NULL,
  -- Refreshed by every write and while the command is quiet; a running log whose writer stopped is lost.
  last_write_at   timestamptz NOT NULL,
  ended_at        timestamptz,
  -- Everything the command printed, and what was cut between the head and the tail to stay under the limit.
  total_lines     bigint      NOT NULL DEFAULT 0,
  total_bytes     bigint      NOT NULL DEFAULT 0,
  cut_lines       bigint      NOT NULL DEFAULT 0,
  cut_bytes       bigint      NOT NULL DEFAULT 0,
  limit_bytes     bigint      NOT NULL,
  -- Set by retention when the chunks were removed; the row stays so metering rows keep their reference.
  removed_at      timestamptz,
  PRIMARY KEY (run_id, task_id, attempt)
);

CREATE INDEX task_logs_started_at ON task_logs (started_at);

-- Consecutive lines of one attempt, in print order; each line carries its stream and time.
CREATE TABLE task_log_chunks (
  run_id      text        NOT NULL,
  task_id     text        NOT NULL,
  attempt     integer     NOT NULL,
  seq         integer     NOT NULL,
  -- Number (from 1) of the chunk's first line, and byte offset of its first byte, in everything printed.
  first_line  bigint      NOT NULL,
  byte_offset bigint      NOT NULL,
  line_count  integer     NOT NULL,
  -- Which stream each line came from and when, as JSON runs [[lines, stream, ms], ...]: stream is o (stdout),
  -- e (stderr) or c (Capstan's own note), ms is milliseconds since the attempt started. Lines read together share
  -- a run, so a flood of short lines costs a few bytes of marks per read, not per line.
  runs        text        NOT NULL,
  -- The lines, each ending with a newline.
  body        text        NOT NULL,
  PRIMARY KEY (run_id, task_id, attempt, seq),
  FOREIGN KEY (run_id, task_id, attempt) REFERENCES task_logs ON DELETE CASCADE
);
