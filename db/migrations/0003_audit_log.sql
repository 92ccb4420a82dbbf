-- Every state-changing API request, written before the change is made and completed with its outcome.
CREATE TABLE audit_log (
  id          bigserial   PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  -- Not unique: a client may send the same X-Request-Id twice; rows are completed by id.
  request_id  text        NOT NULL,
  principal   text        NOT NULL,
  token_id    text,
  action      text        NOT NULL,
  method      text        NOT NULL,
  path        text        NOT NULL,
  target      text,
  outcome     text        NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'succeeded', 'rejected', 'failed')),
  status      integer,
  finished_at timestamptz
);

CREATE INDEX audit_log_at ON audit_log (at);

-- Runs started through the API: who started them, their name and labels (for usage by name or label).
CREATE TABLE runs (
  run_id      text        PRIMARY KEY,
  kind        text        NOT NULL,
  name        text,
  labels      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  started_by  text        NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now()
);
