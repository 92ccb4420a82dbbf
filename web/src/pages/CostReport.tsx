/** A stored daily cost report: its anomalies, the month-end forecast, budgets and recommendations. */
import { showMoney, showPercent } from './costs-format';
import { showTime } from '../lib/time';

// The OpenAPI document leaves a report an open object (its shape is the analysis's, see activities/cost/report-model.ts); these are the fields the page reads.
/** One anomaly: a group whose day was far from its baseline. */
export interface Anomaly {
  dimension: string;
  key: string;
  date: string;
  valueMicros: number;
  medianMicros: number;
  madMicros: number;
  score: number | null;
  threshold: number;
  direction: 'up' | 'down' | 'none';
  explanation: string;
}

/** A stored report as the page reads it. */
export interface CostReportView {
  date: string;
  currency: string;
  totals: { totalMicros: number; computeMicros: number; wasteMicros: number; idleMicros: number; infraMicros: number };
  change: { totalMicros: number; relative: number | null };
  previous: { date: string; totalMicros: number };
  anomalies: Anomaly[];
  forecast: {
    month: string;
    method: string;
    monthToDateMicros: number;
    trailing7DayMeanMicros: number;
    daysLeft: number;
    forecastMicros: number;
  };
  budgets: Array<{
    name: string;
    scope: string;
    month: string;
    amountMicros: number;
    spentMicros: number;
    ratio: number;
    thresholds: number[];
    crossed: number[];
    explanation: string;
  }>;
  recommendations: Array<{ kind: string; subject: string; explanation: string; savingsMicrosPer30Days: number }>;
  methods?: Record<string, string>;
}

const DIMENSION_NAMES: Record<string, string> = {
  nodeClass: 'node class',
  name: 'run name',
  run: 'run',
  kind: 'kind',
  total: 'all spend',
};

function dimensionName(dimension: string): string {
  return dimension.startsWith('label:') ? `label ${dimension.slice(6)}` : (DIMENSION_NAMES[dimension] ?? dimension);
}

/** How far a day was from normal, in words: "6.05× its usual" or "+505%". */
function distance(a: Anomaly): string {
  if (a.medianMicros <= 0) return 'no usual cost to compare';
  const times = a.valueMicros / a.medianMicros;
  return times >= 2
    ? `${times.toFixed(1)}× usual`
    : `${a.valueMicros >= a.medianMicros ? '+' : ''}${showPercent(times - 1)}`;
}

/** The sections of one report. */
export function CostReportSections({ report, generatedAt }: { report: CostReportView; generatedAt?: string }) {
  const c = report.currency;
  return (
    <>
      <section aria-labelledby="report-title" className="card report-head">
        <h2 id="report-title">Report of {report.date} (UTC)</h2>
        <dl className="figures">
          <div>
            <dt>Total</dt>
            <dd>{showMoney(report.totals.totalMicros, c)}</dd>
          </div>
          <div>
            <dt>Against {report.previous.date}</dt>
            <dd>
              {report.change.totalMicros >= 0 ? '+' : ''}
              {showMoney(report.change.totalMicros, c)}
              {report.change.relative !== null &&
                ` (${report.change.relative >= 0 ? '+' : ''}${showPercent(report.change.relative)})`}
            </dd>
          </div>
          <div>
            <dt>Compute · waste · idle · infrastructure</dt>
            <dd>
              {[
                report.totals.computeMicros,
                report.totals.wasteMicros,
                report.totals.idleMicros,
                report.totals.infraMicros,
              ]
                .map((m) => showMoney(m, c))
                .join(' · ')}
            </dd>
          </div>
          {generatedAt && (
            <div>
              <dt>Made</dt>
              <dd>
                <time dateTime={generatedAt}>{showTime(generatedAt)}</time>
              </dd>
            </div>
          )}
        </dl>
      </section>
      <div className="report-grid">
        <Anomalies report={report} />
        <Forecast report={report} />
        <Budgets report={report} />
        <Recommendations report={report} />
      </div>
    </>
  );
}

function Anomalies({ report }: { report: CostReportView }) {
  const c = report.currency;
  return (
    <section aria-labelledby="anomalies-title" className="card wide">
      <h2 id="anomalies-title">Anomalies</h2>
      {report.anomalies.length === 0 ? (
        <p className="empty">No group was far from its usual cost on {report.date}.</p>
      ) : (
        <div className="table-wrap">
          <table className="data" data-testid="anomalies">
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Cost that day</th>
                <th scope="col">Usual (median)</th>
                <th scope="col">How far</th>
                <th scope="col">Score</th>
              </tr>
            </thead>
            <tbody>
              {report.anomalies.map((a) => (
                <tr key={`${a.dimension}=${a.key}`} data-anomaly={`${a.dimension}=${a.key}`}>
                  <th scope="row">
                    <span className="dimension">{dimensionName(a.dimension)}</span>{' '}
                    <span className="group-key">{a.key}</span>
                  </th>
                  <td className="num">{showMoney(a.valueMicros, c)}</td>
                  <td className="num">{showMoney(a.medianMicros, c)}</td>
                  <td className={`num direction-${a.direction}`}>
                    <span aria-hidden="true">{a.direction === 'up' ? '▲ ' : a.direction === 'down' ? '▼ ' : ''}</span>
                    {a.direction === 'up' ? 'above: ' : a.direction === 'down' ? 'below: ' : ''}
                    {distance(a)}
                  </td>
                  <td className="num" title={a.explanation}>
                    {a.score === null ? '—' : `${a.score.toFixed(2)} (≥ ${a.threshold})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {report.methods?.anomalies && <p className="hint method">{report.methods.anomalies}</p>}
    </section>
  );
}

function Forecast({ report }: { report: CostReportView }) {
  const f = report.forecast;
  const c = report.currency;
  return (
    <section aria-labelledby="forecast-title" className="card">
      <h2 id="forecast-title">Month-end forecast</h2>
      <p className="big-figure" data-testid="forecast">
        {showMoney(f.forecastMicros, c)}
      </p>
      <dl className="figures">
        <div>
          <dt>Month</dt>
          <dd>{f.month}</dd>
        </div>
        <div>
          <dt>Spent so far</dt>
          <dd>{showMoney(f.monthToDateMicros, c)}</dd>
        </div>
        <div>
          <dt>Mean of the last 7 days</dt>
          <dd>{showMoney(f.trailing7DayMeanMicros, c)}</dd>
        </div>
        <div>
          <dt>Days left</dt>
          <dd>{f.daysLeft}</dd>
        </div>
      </dl>
      <p className="hint method">{f.method}</p>
    </section>
  );
}

function Budgets({ report }: { report: CostReportView }) {
  const c = report.currency;
  return (
    <section aria-labelledby="budgets-title" className="card">
      <h2 id="budgets-title">Budgets</h2>
      {report.budgets.length === 0 ? (
        <p className="empty">No budget is set (CAPSTAN_COST_BUDGETS_FILE).</p>
      ) : (
        <ul className="budgets">
          {report.budgets.map((b) => {
            const over = b.ratio >= 1;
            return (
              <li key={b.name} data-budget={b.name}>
                <div className="budget-head">
                  <span className="budget-name">{b.name}</span>
                  <span className="hint">{b.scope}</span>
                </div>
                <meter
                  min={0}
                  max={1}
                  low={0.75}
                  high={0.9}
                  optimum={0}
                  value={Math.min(1, b.ratio)}
                  aria-label={`${b.name}: ${showPercent(b.ratio)} used`}
                />
                <div className={over ? 'budget-used over' : 'budget-used'}>
                  {showMoney(b.spentMicros, c)} of {showMoney(b.amountMicros, c)} used in {b.month} (
                  {showPercent(b.ratio)})
                  {b.crossed.length > 0 && ` · crossed ${b.crossed.map((t) => showPercent(t)).join(', ')}`}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function Recommendations({ report }: { report: CostReportView }) {
  const c = report.currency;
  const total = report.recommendations.reduce((s, r) => s + r.savingsMicrosPer30Days, 0);
  return (
    <section aria-labelledby="recommendations-title" className="card wide">
      <h2 id="recommendations-title">Recommendations</h2>
      {report.recommendations.length === 0 ? (
        <p className="empty">Nothing to recommend for {report.date}.</p>
      ) : (
        <>
          <p className="hint">Following all of them saves about {showMoney(total, c)} per 30 days.</p>
          <ul className="recommendations">
            {report.recommendations.map((r) => (
              <li key={`${r.kind}:${r.subject}`}>
                <span className="saves">{showMoney(r.savingsMicrosPer30Days, c)} / 30 days</span>
                <span className="chip">{r.kind.replace(/-/g, ' ')}</span> <span className="subject">{r.subject}</span>
                <p>{r.explanation}</p>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
