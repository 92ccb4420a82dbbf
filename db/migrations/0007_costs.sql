-- Cost analysis reports: one per (window kind, date); re-running an analysis replaces its report, never adds a second.
CREATE TABLE cost_reports (
  window_kind   text        NOT NULL CHECK (window_kind IN ('daily')),
  report_date   date        NOT NULL,
  window_from   timestamptz NOT NULL,
  window_to     timestamptz NOT NULL,
  -- Money inside is integer micro-dollars, so figures add up exactly; the API rounds only for display.
  report        jsonb       NOT NULL,
  total_micros  bigint      NOT NULL,
  chart_svg     text        NOT NULL,
  workflow_id   text,
  generated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (window_kind, report_date)
);

-- Notifications of anomalies and budget crossings, keyed so that a crossing notifies once however often the analysis runs.
CREATE TABLE cost_notifications (
  kind        text        NOT NULL CHECK (kind IN ('budget', 'anomaly')),
  -- The budget's name, or the anomalous group (`nodeClass=gpu`).
  subject     text        NOT NULL,
  -- The budget's month (YYYY-MM) or the anomalous day (YYYY-MM-DD).
  period      text        NOT NULL,
  -- The crossed fraction of a budget ('0.8'); '' for an anomaly.
  threshold   text        NOT NULL DEFAULT '',
  message     text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- A sender claims a row before posting it, so two analyses running at once do not both send it.
  claimed_at  timestamptz,
  sent_at     timestamptz,
  attempts    integer     NOT NULL DEFAULT 0,
  last_error  text,
  PRIMARY KEY (kind, subject, period, threshold)
);

CREATE INDEX cost_notifications_unsent ON cost_notifications (created_at) WHERE sent_at IS NULL;
