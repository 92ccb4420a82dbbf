-- Alerts: the state of each (rule, subject) the scheduled evaluation has seen hold, and the history of alerts that
-- fired and resolved. A subject is what one alert is about: a node class, a worker, a run name, a stack.
-- Evaluations change a row under its lock, so two evaluations at once never both make the same transition.
CREATE TABLE alert_states (
  rule          text        NOT NULL,
  subject       text        NOT NULL,
  -- pending: the condition holds but not yet for the rule's forSeconds; ok rows stay to record when it resolved.
  state         text        NOT NULL CHECK (state IN ('ok', 'pending', 'firing')),
  since         timestamptz NOT NULL,
  value         double precision,
  message       text        NOT NULL DEFAULT '',
  -- When the evaluation that last judged this row started; an older evaluation finishing later changes nothing.
  evaluated_at  timestamptz NOT NULL,
  PRIMARY KEY (rule, subject)
);

-- When each rule was last evaluated, and why that evaluation could not judge it (a Temporal or database error).
CREATE TABLE alert_rule_evaluations (
  rule          text        PRIMARY KEY,
  evaluated_at  timestamptz NOT NULL,
  error         text
);

-- One row when an alert starts firing and one when it resolves; each is posted to the webhook once, claimed first.
CREATE TABLE alert_events (
  id          bigserial   PRIMARY KEY,
  rule        text        NOT NULL,
  subject     text        NOT NULL,
  event       text        NOT NULL CHECK (event IN ('fired', 'resolved')),
  at          timestamptz NOT NULL DEFAULT now(),
  -- When the alert this event belongs to started firing (its own time for `fired`).
  fired_at    timestamptz NOT NULL,
  value       double precision,
  message     text        NOT NULL,
  claimed_at  timestamptz,
  sent_at     timestamptz,
  attempts    integer     NOT NULL DEFAULT 0,
  last_error  text,
  UNIQUE (rule, subject, fired_at, event)
);
CREATE INDEX alert_events_unsent ON alert_events (id) WHERE sent_at IS NULL;
CREATE INDEX alert_events_rule ON alert_events (rule, id);
