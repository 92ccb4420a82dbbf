-- Dependency caches of pipeline jobs (the `cache` step): one row per saved entry, its archive in the artifact
-- store under `store_key`. Lookups and least-recently-used eviction read these rows, never a listing of the store.
-- Scoped as GitHub scopes caches: per repository and branch; a run also reads its repository's default branch.
CREATE TABLE pipeline_caches (
  id           bigserial   PRIMARY KEY,
  repository   text        NOT NULL,
  branch       text        NOT NULL,
  cache_key    text        NOT NULL,
  -- Hash of the cached paths and the compression: an entry restores only into a step that saves the same paths.
  version      text        NOT NULL,
  store_key    text        NOT NULL UNIQUE,
  bytes        bigint      NOT NULL CHECK (bytes >= 0),
  run_id       text        NOT NULL,
  job_id       text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  -- Entries are immutable, as on GitHub: a second save of the same key in the same scope keeps the first.
  UNIQUE (repository, branch, cache_key, version)
);

-- Prefix lookups (restore-keys) within one scope, newest first.
CREATE INDEX pipeline_caches_lookup ON pipeline_caches (repository, branch, version, cache_key text_pattern_ops);
-- Eviction walks a repository's entries from the least recently used.
CREATE INDEX pipeline_caches_lru ON pipeline_caches (repository, last_used_at);
