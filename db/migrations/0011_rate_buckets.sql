-- Per-token request buckets shared by every API process (CAPSTAN_API_RATE_LIMIT_STORE=database), so N processes
-- behind one address let a token through at its limit, not N times it. A bucket is refilled by the time since `at`,
-- on the database's clock, which every API process shares. UNLOGGED: buckets need no crash safety (a crash refills
-- them), and their writes then skip the write-ahead log on every request.
CREATE UNLOGGED TABLE api_rate_buckets (
  key      text             PRIMARY KEY,
  tokens   double precision NOT NULL,
  at       timestamptz      NOT NULL,
  -- Whether the last request taken from this bucket was let through; returned by the same statement.
  allowed  boolean          NOT NULL
);
