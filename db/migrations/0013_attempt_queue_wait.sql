-- How long each attempt waited in its node class's task queue: from Temporal scheduling the attempt to a worker
-- starting it. NULL for attempts recorded before this column existed.
ALTER TABLE task_attempts ADD COLUMN queue_wait_ms bigint CHECK (queue_wait_ms >= 0);

-- Runs ended, by kind and Temporal status, tallied from Temporal's visibility up to a watermark. Visibility forgets
-- closed runs after the namespace's retention, so its counts cannot serve as a Prometheus counter; this running
-- total never decreases and every API process reads the same figure.
CREATE TABLE run_end_tally (
  kind    text   NOT NULL,
  status  text   NOT NULL,
  total   bigint NOT NULL CHECK (total >= 0),
  PRIMARY KEY (kind, status)
);
-- One row: runs that closed before `counted_until` are in the tally; an API process moves it forward with a
-- compare-and-set, so two processes never count the same window twice.
CREATE TABLE run_end_watermark (
  id             boolean     PRIMARY KEY DEFAULT true CHECK (id),
  counted_until  timestamptz NOT NULL
);
