/**
 * Alerts (`/alerts`): each rule of the alerts file with its state and the subjects firing or pending, then the recent
 * history of alerts fired and resolved, and whether each was notified.
 */
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../http/client';
import type { components } from '../http/schema.gen';
import { showTime, useNow } from '../lib/time';
import { showAgo } from './fleet-format';
import './alerts.css';

/** One configured rule with its state, as `GET /v1/alerts` lists it. */
type AlertRule = components['schemas']['AlertList']['rules'][number];
/** One fired or resolved alert. */
type AlertEvent = components['schemas']['AlertEvent'];

/** Rules are evaluated every minute by default; asking every 5 s shows a change soon after it is recorded. */
const REFRESH_MS = 5000;
/** History rows shown: the recent past, not an archive. */
const HISTORY_LIMIT = 50;

/** Firing rules first, then pending, then the rest in the file's order. */
const ORDER = { firing: 0, pending: 1, ok: 2 } as const;

/** The alerts page. */
export function AlertsPage() {
  const rules = useQuery({
    queryKey: ['alerts'],
    queryFn: async () => must(await api.GET('/v1/alerts')),
    refetchInterval: REFRESH_MS,
  });
  const history = useQuery({
    queryKey: ['alerts-history'],
    queryFn: async () =>
      must(await api.GET('/v1/alerts/history', { params: { query: { limit: HISTORY_LIMIT } } })).events,
    refetchInterval: REFRESH_MS,
  });
  const now = useNow(true);
  const list = rules.data;
  const sorted = list ? [...list.rules].sort((a, b) => ORDER[a.state] - ORDER[b.state]) : [];
  const firing = sorted.filter((r) => r.state === 'firing').length;
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      {rules.isError && (
        <p role="alert" className="error">
          {rules.error.message}
        </p>
      )}
      {list && (
        <p className="hint alerts-source">
          {list.file ? (
            <>
              Rules from <span className="mono">{list.file}</span>
              {list.intervalSeconds !== null && <>, evaluated every {list.intervalSeconds} s</>}
              {list.scheduleId && (
                <>
                  {' '}
                  by the Temporal Schedule <span className="mono">{list.scheduleId}</span>
                </>
              )}
              .
            </>
          ) : (
            'The API loaded no alerts file.'
          )}{' '}
          Each alert is notified once when it fires and once when it resolves.
        </p>
      )}
      <h2 className="alerts-heading">
        Rules{' '}
        {firing > 0 && (
          <span className="status status-failed" data-testid="firing-count">
            {firing} firing
          </span>
        )}
      </h2>
      {rules.isPending ? (
        <p className="loading">Loading alert rules…</p>
      ) : sorted.length === 0 ? (
        <p className="empty">No alert rules are configured. Set CAPSTAN_ALERTS_FILE (see config/alerts.yaml).</p>
      ) : (
        <div className="table-wrap">
          <table className="runs alert-rules">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">State</th>
                <th scope="col">Firing or pending</th>
                <th scope="col">Last evaluated</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((r) => (
                <RuleRow key={r.name} rule={r} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 className="alerts-heading">Recent history</h2>
      {history.isError && (
        <p role="alert" className="error">
          {history.error.message}
        </p>
      )}
      {history.isPending ? (
        <p className="loading">Loading history…</p>
      ) : (history.data ?? []).length === 0 ? (
        <p className="empty">No alert has fired yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="runs alert-history">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Rule</th>
                <th scope="col">Subject and message</th>
                <th scope="col">Notified</th>
              </tr>
            </thead>
            <tbody>
              {history.data?.map((e) => (
                <EventRow key={e.id} event={e} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RuleRow({ rule, now }: { rule: AlertRule; now: number }) {
  return (
    <tr data-rule={rule.name} data-state={rule.state} className={rule.state === 'firing' ? 'alert-firing' : undefined}>
      <td>
        <div className="rule-name mono">{rule.name}</div>
        <div className="hint small">
          {rule.kind}
          {rule.rule.forSeconds > 0 && <> · holds {rule.rule.forSeconds} s before firing</>}
        </div>
      </td>
      <td className="nowrap">
        <span className={`status alert-${rule.state}`} data-testid="state">
          {rule.state}
        </span>
        {rule.since && rule.state !== 'ok' && (
          <div className="hint small">
            since <time dateTime={rule.since}>{showAgo(rule.since, now)}</time>
          </div>
        )}
      </td>
      <td>
        {rule.subjects.length === 0 ? (
          <span className="hint">—</span>
        ) : (
          <ul className="subjects">
            {rule.subjects.map((s) => (
              <li key={s.subject} data-subject={s.subject}>
                <span className="mono subject">{s.subject}</span>{' '}
                {s.state === 'pending' && <span className="status alert-pending">pending</span>}
                <div className="small">{s.message}</div>
              </li>
            ))}
          </ul>
        )}
        {rule.lastError && (
          <p className="error small" data-testid="rule-error">
            Last evaluation failed: {rule.lastError}
          </p>
        )}
      </td>
      <td className="nowrap">
        {rule.lastEvaluatedAt ? (
          <time dateTime={rule.lastEvaluatedAt} title={showTime(rule.lastEvaluatedAt)}>
            {showAgo(rule.lastEvaluatedAt, now)}
          </time>
        ) : (
          <span className="hint">not yet</span>
        )}
      </td>
    </tr>
  );
}

function EventRow({ event, now }: { event: AlertEvent; now: number }) {
  return (
    <tr data-event={event.id} data-rule={event.rule} data-kind={event.event}>
      <td className="nowrap">
        <time dateTime={event.at}>{showTime(event.at)}</time>
        <div className="hint small">{showAgo(event.at, now)}</div>
      </td>
      <td className="nowrap">
        <span className={`status ${event.event === 'fired' ? 'alert-firing' : 'alert-ok'}`}>{event.event}</span>
      </td>
      <td className="mono">{event.rule}</td>
      <td>
        <span className="mono subject">{event.subject}</span>
        <div className="small">{event.message}</div>
      </td>
      <td data-testid="notified">
        {event.notifiedAt ? (
          <>
            yes, <time dateTime={event.notifiedAt}>{showAgo(event.notifiedAt, now)}</time>
          </>
        ) : (
          <>
            <span className="not-sent">not yet</span>
            {event.notifyAttempts > 0 && (
              <div className="hint small">
                {event.notifyAttempts} attempt{event.notifyAttempts === 1 ? '' : 's'}
                {event.notifyError ? `: ${event.notifyError}` : ''}
              </div>
            )}
          </>
        )}
      </td>
    </tr>
  );
}
