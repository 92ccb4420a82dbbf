-- The fleet registry: every node-class worker process reports its machine's figures at a steady interval.
-- `workers` keeps the latest report of each process (one row per identity, updated in place); a worker is lost
-- when its reports stop for longer than the configured window, and stopped when it said so on a clean shutdown.
CREATE TABLE workers (
  identity                text        PRIMARY KEY,
  node_class              text        NOT NULL,
  host                    text        NOT NULL,
  version                 text        NOT NULL,
  first_seen_at           timestamptz NOT NULL DEFAULT now(),
  reported_at             timestamptz NOT NULL,
  interval_ms             integer     NOT NULL CHECK (interval_ms > 0),
  stopped_at              timestamptz,
  cpus                    integer     NOT NULL,
  load1                   double precision NOT NULL,
  load5                   double precision NOT NULL,
  load15                  double precision NOT NULL,
  memory_total_bytes      bigint      NOT NULL,
  memory_available_bytes  bigint      NOT NULL,
  disk_path               text        NOT NULL,
  disk_total_bytes        bigint      NOT NULL,
  disk_free_bytes         bigint      NOT NULL,
  running_attempts        integer     NOT NULL,
  slots                   integer     NOT NULL
);
CREATE INDEX workers_class_host ON workers (node_class, host);

-- A short history of the same figures, for graphs and for alerts over a window; swept by age.
CREATE TABLE worker_reports (
  identity                text        NOT NULL,
  reported_at             timestamptz NOT NULL,
  load1                   double precision NOT NULL,
  memory_available_bytes  bigint      NOT NULL,
  disk_free_bytes         bigint      NOT NULL,
  running_attempts        integer     NOT NULL,
  PRIMARY KEY (identity, reported_at)
);
CREATE INDEX worker_reports_reported_at ON worker_reports (reported_at);
