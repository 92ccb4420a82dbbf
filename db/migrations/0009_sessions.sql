-- Console sessions: a browser exchanges an API token for one (POST /v1/session) and keeps its secret in an
-- HttpOnly cookie. Like tokens, only a SHA-256 of the secret is kept. A session acts as the token it came from and
-- is checked against that token on every request, so revoking the token ends its sessions at once.
CREATE TABLE api_sessions (
  id             text        PRIMARY KEY,
  secret_sha256  bytea       NOT NULL UNIQUE CHECK (octet_length(secret_sha256) = 32),
  token_id       text        NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  -- Sent back by the console in X-Capstan-CSRF with every state-changing request; a page of another site cannot read it.
  csrf_token     text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- Absolute: CAPSTAN_SESSION_HOURS after sign-in, and never past the token's own expiry.
  expires_at     timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX api_sessions_expires_at ON api_sessions (expires_at);
CREATE INDEX api_sessions_token_id ON api_sessions (token_id);
