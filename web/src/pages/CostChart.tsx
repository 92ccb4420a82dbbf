/** A line chart of each group's daily cost, drawn as SVG by the console so it follows light and dark, with a legend and a table of the same figures. */
import { useId } from 'react';
import { showMoney } from './costs-format';

/** One line: a group's micro-dollars per day, aligned with the chart's days. */
export interface CostSeries {
  name: string;
  values: number[];
}

const W = 960;
const H = 320;
const PAD = { left: 72, right: 16, top: 12, bottom: 34 };
/** Distinct lines; the CSS gives each index a colour for light and one for dark (costs.css). */
const PALETTE_SIZE = 8;

/** The smallest "round" number (1, 2, 2.5 or 5 × 10^k) at or above `value`, so the axis reads in whole steps. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value)!;
  return step * power;
}

/** The chart, its legend and a table alternative of `series` over `days` (YYYY-MM-DD, UTC). */
export function CostChart({
  title,
  days,
  series,
  currency,
}: {
  title: string;
  days: string[];
  series: CostSeries[];
  currency: string;
}) {
  const id = useId();
  const totals = series.map((s) => s.values.reduce((a, b) => a + b, 0));
  const max = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (days.length <= 1 ? plotW / 2 : (i * plotW) / (days.length - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  // At most ~8 date labels so a quarter of days stays legible.
  const step = Math.max(1, Math.ceil(days.length / 8));
  const dots = days.length <= 31;
  const colour = (i: number, name: string) =>
    name.startsWith('other (') ? 'series-other' : `series-${i % PALETTE_SIZE}`;
  const description =
    series.length === 0
      ? 'No cost in this window.'
      : series.map((s, i) => `${s.name}: ${showMoney(totals[i]!, currency)} in total`).join('; ');

  return (
    <figure className="cost-chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        className="cost-svg"
        data-testid="cost-chart"
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        {[0, 1, 2, 3, 4].map((t) => {
          const v = (max * t) / 4;
          return (
            <g key={t} className="axis">
              <line x1={PAD.left} x2={PAD.left + plotW} y1={y(v)} y2={y(v)} className={t === 0 ? 'base' : 'grid'} />
              <text x={PAD.left - 8} y={y(v) + 4} textAnchor="end">
                {showMoney(Math.round(v), currency)}
              </text>
            </g>
          );
        })}
        {days.map((day, i) =>
          // The last day always gets its label; a stepped label too close before it gives way.
          (i % step === 0 && days.length - 1 - i >= Math.ceil(step / 2)) || i === days.length - 1 ? (
            <text key={day} x={x(i)} y={PAD.top + plotH + 20} textAnchor="middle" className="axis">
              {day.slice(5)}
            </text>
          ) : null,
        )}
        {series.map((s, index) => (
          <g key={s.name} className={`series ${colour(index, s.name)}`} data-series={s.name}>
            <polyline points={s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')} />
            {dots &&
              s.values.map((v, i) => (
                <circle key={days[i]} cx={x(i)} cy={y(v)} r={v > 0 ? 3 : 1.5}>
                  <title>{`${s.name}, ${days[i]}: ${showMoney(v, currency)}`}</title>
                </circle>
              ))}
          </g>
        ))}
        {series.length === 0 && (
          <text x={PAD.left + plotW / 2} y={PAD.top + plotH / 2} textAnchor="middle" className="axis">
            No cost in this window
          </text>
        )}
      </svg>
      <figcaption>
        <ul className="cost-legend" aria-label="Legend">
          {series.map((s, index) => (
            <li key={s.name}>
              <svg className={`key ${colour(index, s.name)}`} viewBox="0 0 20 10" aria-hidden="true">
                <line x1="0" y1="5" x2="20" y2="5" />
              </svg>
              <span className="legend-name">{s.name}</span>
              <span className="legend-total">{showMoney(totals[index]!, currency)}</span>
            </li>
          ))}
        </ul>
      </figcaption>
      {series.length > 0 && (
        <details className="chart-table">
          <summary>Show the figures as a table</summary>
          <div className="table-wrap">
            <table className="data">
              <caption>{title}</caption>
              <thead>
                <tr>
                  <th scope="col">Day (UTC)</th>
                  {series.map((s) => (
                    <th key={s.name} scope="col">
                      {s.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {days.map((day, i) => (
                  <tr key={day}>
                    <th scope="row">{day}</th>
                    {series.map((s) => (
                      <td key={s.name} className="num">
                        {showMoney(s.values[i] ?? 0, currency)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}
