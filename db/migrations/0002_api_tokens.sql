-- API tokens: only a SHA-256 of each token is kept; the token itself is shown once, when created.
CREATE TABLE api_tokens (
  id            text        PRIMARY KEY,
  principal     text        NOT NULL,
  role          text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  token_sha256  bytea       NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text        NOT NULL,
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
