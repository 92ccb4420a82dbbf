-- The Pulumi stacks Capstan manages: which program builds them, the declared config, and their lifetime.
CREATE TABLE stacks (
  project            text        NOT NULL,
  stack              text        NOT NULL,
  program            text        NOT NULL,
  -- The program's config as last declared through the API; operations read it when they run,
  -- so a change after a preview makes the apply of that preview's plan refuse.
  config             jsonb       NOT NULL DEFAULT '{}'::jsonb,
  labels             jsonb       NOT NULL DEFAULT '{}'::jsonb,
  -- A stack with a time-to-live is destroyed once this passes.
  expires_at         timestamptz,
  -- Cron for the read-only drift check; NULL means no scheduled check.
  drift_schedule     text,
  created_by         text        NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  -- The last operation that ran on the stack, whatever its outcome, to flag stacks left untouched.
  last_operation     text,
  last_operation_at  timestamptz,
  last_run_id        text,
  -- The last drift check's finding (resources deleted or changed outside Pulumi), and when it ran.
  last_drift         jsonb,
  last_drift_at      timestamptz,
  status             text        NOT NULL DEFAULT 'new'
    CHECK (status IN ('new', 'active', 'destroyed', 'failed')),
  PRIMARY KEY (project, stack)
);

-- The resources a stack holds after its last successful operation; cost analysis prices them by type.
CREATE TABLE stack_resources (
  project      text        NOT NULL,
  stack        text        NOT NULL,
  urn          text        NOT NULL,
  type         text        NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, stack, urn),
  FOREIGN KEY (project, stack) REFERENCES stacks (project, stack) ON DELETE CASCADE
);
