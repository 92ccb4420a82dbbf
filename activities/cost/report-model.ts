/** The cost report's shape and the pure steps that turn aggregated rows into it. */
import type { CostAnomaly } from './anomalies';
import type { BudgetStatus } from './budgets';
import type { CostRow } from '../../db/stores/cost-queries';
import type { MonthForecast } from '../../cost-model/forecast';
import type { ClassIdle, Recommendation } from './idle-model';
import type { StackCost } from './infra-model';
import { formatUsd, relativeChange } from '../../cost-model/money';

/** One group's figures on the report day, with the day before. */
export interface GroupFigures {
  key: string;
  attempts: number;
  failedAttempts: number;
  computeMicros: number;
  wasteMicros: number;
  totalMicros: number;
  previousTotalMicros: number;
  changeMicros: number;
  /** Relative change against the previous window (0.1 = +10%); null when the previous window cost nothing. */
  change: number | null;
}

/** Totals of the report day by kind of cost. */
export interface CostTotals {
  computeMicros: number;
  wasteMicros: number;
  idleMicros: number;
  infraMicros: number;
  externalMicros: number;
  totalMicros: number;
}

/** A stored cost report; money in integer micro-dollars, `display` rounded for people. */
export interface CostReport {
  windowKind: 'daily';
  date: string;
  from: string;
  to: string;
  currency: 'USD';
  methods: Record<'compute' | 'waste' | 'idle' | 'infrastructure' | 'anomalies' | 'forecast' | 'budgets', string>;
  totals: CostTotals;
  previous: CostTotals & { date: string };
  change: { totalMicros: number; relative: number | null };
  groups: Record<string, GroupFigures[]>;
  idle: ClassIdle[];
  infrastructure: { stacks: StackCost[]; totalMicros: number; unpricedTypes: string[] };
  external: {
    sources: Array<{ source: string; totalMicros: number; services: Array<{ service: string; micros: number }> }>;
    errors: Array<{ source: string; error: string }>;
  };
  anomalies: CostAnomaly[];
  forecast: MonthForecast;
  budgets: BudgetStatus[];
  recommendations: Recommendation[];
  /** The same findings as sentences, figures rounded to cents. */
  summary: string[];
}

/** Per-group figures of `date` from rows grouped by key and day, largest first. */
export function groupFigures(rows: readonly CostRow[], date: string, previousDate: string): GroupFigures[] {
  const byKey = new Map<string, GroupFigures>();
  const entry = (key: string): GroupFigures => {
    let g = byKey.get(key);
    if (!g)
      byKey.set(
        key,
        (g = {
          key,
          attempts: 0,
          failedAttempts: 0,
          computeMicros: 0,
          wasteMicros: 0,
          totalMicros: 0,
          previousTotalMicros: 0,
          changeMicros: 0,
          change: null,
        }),
      );
    return g;
  };
  for (const r of rows) {
    if (r.day === date) {
      const g = entry(r.key);
      g.attempts += r.attempts;
      g.failedAttempts += r.failedAttempts;
      g.computeMicros += r.computeMicros;
      g.wasteMicros += r.wasteMicros;
      g.totalMicros += r.totalMicros;
    } else if (r.day === previousDate) {
      entry(r.key).previousTotalMicros += r.totalMicros;
    }
  }
  for (const g of byKey.values()) {
    g.changeMicros = g.totalMicros - g.previousTotalMicros;
    g.change = relativeChange(g.totalMicros, g.previousTotalMicros);
  }
  return [...byKey.values()].sort((a, b) => b.totalMicros - a.totalMicros || a.key.localeCompare(b.key));
}

/** key → day → total micro-dollars. */
export function dailySeries(rows: readonly CostRow[]): Map<string, Map<string, number>> {
  const series = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const days = series.get(r.key) ?? new Map<string, number>();
    days.set(r.day!, (days.get(r.day!) ?? 0) + r.totalMicros);
    series.set(r.key, days);
  }
  return series;
}

/** Sums every group's series into one: day → micro-dollars. */
export function sumSeries(series: ReadonlyMap<string, ReadonlyMap<string, number>>): Map<string, number> {
  const total = new Map<string, number>();
  for (const days of series.values()) for (const [day, micros] of days) total.set(day, (total.get(day) ?? 0) + micros);
  return total;
}

/** The report's findings as sentences. */
export function summarize(report: Omit<CostReport, 'summary'>): string[] {
  const t = report.totals;
  const lines = [
    `${report.date}: total ${formatUsd(t.totalMicros)} (compute ${formatUsd(t.computeMicros)}, waste ${formatUsd(t.wasteMicros)}, idle ${formatUsd(t.idleMicros)}, ` +
      `infrastructure ${formatUsd(t.infraMicros)}, external ${formatUsd(t.externalMicros)}); ${formatUsd(report.change.totalMicros)} against ${report.previous.date}` +
      (report.change.relative === null
        ? ''
        : ` (${report.change.relative >= 0 ? '+' : ''}${(report.change.relative * 100).toFixed(1)}%)`),
    `forecast for ${report.forecast.month}: ${formatUsd(report.forecast.forecastMicros)} (${report.forecast.method})`,
  ];
  for (const a of report.anomalies) lines.push(`anomaly: ${a.explanation}`);
  for (const b of report.budgets)
    lines.push(
      b.crossed.length > 0
        ? `${b.explanation}; crossed ${b.crossed.map((c) => `${c * 100}%`).join(', ')}`
        : b.explanation,
    );
  for (const r of report.recommendations)
    lines.push(`recommendation: ${r.explanation}; saves about ${formatUsd(r.savingsMicrosPer30Days)} per 30 days`);
  return lines;
}
