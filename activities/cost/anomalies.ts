/** Anomalies of the report day against each group's own recent history. */
import { addDays } from '../../cost-model/forecast';
import { formatUsd } from '../../cost-model/money';
import { scoreAgainstBaseline } from './stats';

/** How anomalies are looked for. */
export interface AnomalySettings {
  /** Days before the report day that form the baseline. */
  lookbackDays: number;
  threshold: number;
  /** A group needs this many baseline days with any cost to be judged; newer groups have no "normal" yet. */
  minHistoryDays: number;
}

/** One anomalous group. */
export interface CostAnomaly {
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

/** The method, as the report states it. */
export function anomalyMethod(s: AnomalySettings): string {
  return (
    `modified z-score = 0.6745 × (day − median) / MAD over the ${s.lookbackDays} days before the report day (days without cost count as 0; ` +
    `when MAD is 0 the mean absolute deviation × 1.2533 stands in); |score| ≥ ${s.threshold} is an anomaly; a group needs ${s.minHistoryDays} days with cost in that baseline to be judged`
  );
}

/** Scores `date` in each group's daily series (`series`: group key → day → micro-dollars). */
export function findAnomalies(
  dimension: string,
  series: ReadonlyMap<string, ReadonlyMap<string, number>>,
  date: string,
  s: AnomalySettings,
): CostAnomaly[] {
  const found: CostAnomaly[] = [];
  for (const [key, days] of series) {
    const baseline: number[] = [];
    for (let i = s.lookbackDays; i >= 1; i--) baseline.push(days.get(addDays(date, -i)) ?? 0);
    if (baseline.filter((v) => v > 0).length < s.minHistoryDays) continue;
    const value = days.get(date) ?? 0;
    const verdict = scoreAgainstBaseline(baseline, value, s.threshold);
    if (!verdict.anomalous) continue;
    const medianMicros = Math.round(verdict.median);
    const how =
      verdict.score === null
        ? `every one of the ${s.lookbackDays} baseline days cost exactly ${formatUsd(medianMicros)}`
        : `modified z-score ${verdict.score} (threshold ${s.threshold}) against a median of ${formatUsd(medianMicros)} and a MAD of ${formatUsd(Math.round(verdict.mad))}`;
    found.push({
      dimension,
      key,
      date,
      valueMicros: value,
      medianMicros,
      madMicros: Math.round(verdict.mad),
      score: verdict.score,
      threshold: s.threshold,
      direction: verdict.direction,
      explanation: `${dimension}=${key} cost ${formatUsd(value)} on ${date}, ${verdict.direction === 'down' ? 'below' : 'above'} its normal: ${how}`,
    });
  }
  return found;
}
