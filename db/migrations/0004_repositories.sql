-- Repositories whose pipelines Capstan runs: where to fetch them, how to verify their webhooks and
-- where to report commit status. The webhook secret and the status token must be usable (HMAC,
-- API calls), so unlike API tokens they are kept as given; the API never returns them.
CREATE TABLE repositories (
  name            text        PRIMARY KEY,
  provider        text        NOT NULL CHECK (provider IN ('github', 'gitlab')),
  clone_url       text        NOT NULL,
  pipeline_path   text        NOT NULL DEFAULT '.capstan/pipeline.yaml',
  webhook_secret  text        NOT NULL,
  -- Base URL of the forge's API (https://api.github.com, https://gitlab.example.com/api/v4); null: no status reports.
  status_api_url  text,
  status_token    text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  created_by      text        NOT NULL
);
