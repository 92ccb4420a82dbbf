-- One row per task attempt (one Temporal activity attempt): the ground truth for usage and cost.
-- The primary key makes a redelivered start or completion an update of the same row, never a second one.
CREATE TABLE task_attempts (
  run_id        text        NOT NULL,
  task_id       text        NOT NULL,
  attempt       integer     NOT NULL CHECK (attempt >= 1),
  run_kind      text        NOT NULL,
  node_class    text        NOT NULL,
  worker        text        NOT NULL,
  activity_id   text        NOT NULL,
  labels        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  started_at    timestamptz NOT NULL,
  -- Refreshed while the attempt runs; a row whose worker stopped refreshing it is closed as lost.
  last_seen_at  timestamptz NOT NULL,
  ended_at      timestamptz,
  duration_ms   bigint CHECK (duration_ms >= 0),
  outcome       text        NOT NULL DEFAULT 'running'
    CHECK (outcome IN ('running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'error')),
  exit_code     integer,
  detail        text,
  PRIMARY KEY (run_id, task_id, attempt)
);

CREATE INDEX task_attempts_started_at ON task_attempts (started_at);
CREATE INDEX task_attempts_open ON task_attempts (last_seen_at) WHERE ended_at IS NULL;
