/** The costs page (`/costs`): cost over time per group, and the latest (or chosen) daily report. */
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api, must } from '../http/client';
import { canOperate, useSession } from '../http/session';
import { navigate, useLocation } from '../lib/router';
import { CostChart } from './CostChart';
import { CostReportSections, type CostReportView } from './CostReport';
import {
  costHref,
  costViewFrom,
  GROUPINGS,
  groupByOf,
  showMoney,
  windowOf,
  WINDOWS,
  type CostView,
} from './costs-format';
import './costs.css';

/** After a trigger, the report list is asked again this often until the new report is there. */
const AFTER_TRIGGER_REFRESH_MS = 3000;

/** Cost over time per group, then the report's anomalies, forecast, budgets and recommendations. */
export function CostsPage() {
  const { search } = useLocation();
  const view = costViewFrom(search);
  const groupBy = groupByOf(view);
  const span = windowOf(view.days);
  const [waiting, setWaiting] = useState(false);
  // A triggered analysis takes seconds; the list is watched for a minute, then left alone.
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(() => setWaiting(false), 60_000);
    return () => clearTimeout(timer);
  }, [waiting]);
  const costs = useQuery({
    queryKey: ['costs', groupBy, span.from, span.to],
    queryFn: async () => must(await api.GET('/v1/costs', { params: { query: { groupBy, ...span, series: 'day' } } })),
    placeholderData: keepPreviousData,
  });
  const reports = useQuery({
    queryKey: ['cost-reports', view.report ?? 'newest'],
    queryFn: async () =>
      must(
        await api.GET('/v1/costs/reports', {
          params: { query: { limit: 60, ...(view.report ? { date: view.report } : {}) } },
        }),
      ),
    refetchInterval: waiting ? AFTER_TRIGGER_REFRESH_MS : false,
  });
  const report = (reports.data?.report ?? null) as CostReportView | null;
  const grouping = GROUPINGS.find((g) => g.value === view.grouping)!;
  const title = `Daily cost by ${view.grouping === 'label' ? `label ${view.labelKey}` : grouping.label.toLowerCase()}, last ${view.days} days (UTC)`;

  return (
    <section aria-labelledby="costs-title" className="costs-page">
      <div className="costs-head">
        <h1 id="costs-title">Costs</h1>
        <TriggerAnalysis onTriggered={() => setWaiting(true)} />
      </div>
      <section aria-labelledby="over-time-title" className="card">
        <h2 id="over-time-title">Cost over time</h2>
        <ChartControls view={view} />
        {costs.isError && (
          <p role="alert" className="error">
            {costs.error.message}
          </p>
        )}
        {costs.isPending ? (
          <p className="loading">Loading costs…</p>
        ) : costs.data ? (
          <>
            <p className="hint" aria-live="polite">
              {showMoney(costs.data.totals.totalMicros, costs.data.currency)} from {span.from} to the end of{' '}
              {costs.data.days?.[costs.data.days.length - 1] ?? span.to}, {costs.data.groups.length} group
              {costs.data.groups.length === 1 ? '' : 's'}.
            </p>
            <CostChart
              title={title}
              days={costs.data.days ?? []}
              series={costs.data.series ?? []}
              currency={costs.data.currency}
            />
          </>
        ) : null}
      </section>
      {reports.isError && (
        <p role="alert" className="error">
          {reports.error.message}
        </p>
      )}
      {reports.data && (
        <ReportPicker view={view} dates={reports.data.reports.map((r) => r.date)} shown={report?.date} />
      )}
      {reports.isPending ? (
        <p className="loading">Loading the report…</p>
      ) : report ? (
        <CostReportSections
          report={report}
          generatedAt={reports.data?.reports.find((r) => r.date === report.date)?.generatedAt}
        />
      ) : (
        reports.data && (
          <p className="empty card">
            No cost report yet: the analysis runs every night on a Temporal Schedule
            {waiting ? '; the one just triggered is on its way…' : '.'}
          </p>
        )
      )}
    </section>
  );
}

function ChartControls({ view }: { view: CostView }) {
  const [labelKey, setLabelKey] = useState(view.labelKey);
  useEffect(() => setLabelKey(view.labelKey), [view.labelKey]);
  const go = (next: Partial<CostView>) => navigate(costHref({ ...view, ...next }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    go({ labelKey: labelKey.trim() || 'team' });
  };
  return (
    <form className="filters" aria-label="Chart options" onSubmit={submit}>
      <div className="field">
        <label htmlFor="c-group">Group by</label>
        <select
          id="c-group"
          value={view.grouping}
          onChange={(e) => go({ grouping: GROUPINGS.find((g) => g.value === e.target.value)?.value ?? 'nodeClass' })}
        >
          {GROUPINGS.map((g) => (
            <option key={g.value} value={g.value}>
              {g.label}
            </option>
          ))}
        </select>
      </div>
      {view.grouping === 'label' && (
        <>
          <div className="field">
            <label htmlFor="c-label">Label key</label>
            <input id="c-label" value={labelKey} onChange={(e) => setLabelKey(e.target.value)} spellCheck={false} />
          </div>
          <div className="field filter-actions">
            <button type="submit">Show</button>
          </div>
        </>
      )}
      <div className="field">
        <label htmlFor="c-days">Window</label>
        <select
          id="c-days"
          value={view.days}
          onChange={(e) => go({ days: WINDOWS.find((d) => String(d) === e.target.value) ?? 30 })}
        >
          {WINDOWS.map((d) => (
            <option key={d} value={d}>
              Last {d} days
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}

function ReportPicker({ view, dates, shown }: { view: CostView; dates: string[]; shown?: string }) {
  if (dates.length === 0) return null;
  return (
    <form className="filters report-picker" aria-label="Report">
      <div className="field">
        <label htmlFor="c-report">Daily report</label>
        <select
          id="c-report"
          value={shown ?? ''}
          onChange={(e) =>
            navigate(costHref({ ...view, report: e.target.value === dates[0] ? undefined : e.target.value }))
          }
        >
          {dates.map((date, i) => (
            <option key={date} value={date}>
              {date}
              {i === 0 ? ' (newest)' : ''}
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}

/** "Analyse now", for operators: triggers the schedule, which analyses yesterday (UTC). */
function TriggerAnalysis({ onTriggered }: { onTriggered: () => void }) {
  const session = useSession();
  const operate = canOperate(session.data);
  const schedules = useQuery({
    queryKey: ['cost-schedules'],
    enabled: operate,
    queryFn: async () => must(await api.GET('/v1/costs/schedules')),
  });
  const id = schedules.data?.schedules[0]?.id;
  const trigger = useMutation({
    mutationFn: async () => must(await api.POST('/v1/costs/schedules/{id}/trigger', { params: { path: { id: id! } } })),
    onSuccess: onTriggered,
  });
  if (!operate || !id) return null;
  return (
    <div className="actions">
      <button type="button" onClick={() => trigger.mutate()} disabled={trigger.isPending}>
        Analyse yesterday now
      </button>
      {trigger.isSuccess && (
        <span className="hint" role="status">
          Triggered: the report appears when the analysis ends.
        </span>
      )}
      {trigger.isError && (
        <span role="alert" className="error">
          {trigger.error.message}
        </span>
      )}
    </div>
  );
}
