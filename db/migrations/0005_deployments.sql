-- Successful deploys per environment, newest last: the current release of an environment, and the one before it.
CREATE TABLE deployments (
  id           bigserial   PRIMARY KEY,
  environment  text        NOT NULL,
  repository   text        NOT NULL,
  pipeline     text        NOT NULL,
  run_id       text        NOT NULL,
  job_id       text        NOT NULL,
  sha          text        NOT NULL,
  triggered_by text        NOT NULL,
  deployed_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, job_id)
);

CREATE INDEX deployments_environment ON deployments (environment, deployed_at DESC);
