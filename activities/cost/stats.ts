/** Robust anomaly detection on a daily series: median and median absolute deviation (the modified z-score of Iglewicz and Hoaglin). */

/** Scores at or beyond this are anomalies (Iglewicz and Hoaglin's recommended cut-off). */
const DEFAULT_ANOMALY_THRESHOLD = 3.5;
/** 0.6745 is the 0.75 quantile of the standard normal: it makes MAD comparable to a standard deviation. */
const MAD_SCALE = 0.6745;
/** When MAD is 0 (over half the days identical) the mean absolute deviation stands in, scaled by sqrt(pi/2) ≈ 1.2533 to match. */
const MEAN_AD_SCALE = 1.253314;

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The verdict on one value against its baseline. */
export interface AnomalyVerdict {
  median: number;
  /** Median absolute deviation of the baseline. */
  mad: number;
  /** Modified z-score; null when every baseline day was identical and the value differs (infinitely far). */
  score: number | null;
  anomalous: boolean;
  direction: 'up' | 'down' | 'none';
  /** Which spread measure the score used. */
  spread: 'mad' | 'meanAbsoluteDeviation' | 'none';
}

/** Scores `value` against `baseline` (the days before it): anomalous when |modified z| ≥ threshold. */
export function scoreAgainstBaseline(
  baseline: readonly number[],
  value: number,
  threshold = DEFAULT_ANOMALY_THRESHOLD,
): AnomalyVerdict {
  const m = median(baseline);
  const deviations = baseline.map((x) => Math.abs(x - m));
  const mad = median(deviations);
  const direction = value > m ? 'up' : value < m ? 'down' : 'none';
  if (mad > 0) {
    const score = round2((MAD_SCALE * (value - m)) / mad);
    return { median: m, mad, score, anomalous: Math.abs(score) >= threshold, direction, spread: 'mad' };
  }
  const meanAd = deviations.reduce((s, d) => s + d, 0) / deviations.length;
  if (meanAd > 0) {
    const score = round2((value - m) / (MEAN_AD_SCALE * meanAd));
    return {
      median: m,
      mad,
      score,
      anomalous: Math.abs(score) >= threshold,
      direction,
      spread: 'meanAbsoluteDeviation',
    };
  }
  return { median: m, mad, score: value === m ? 0 : null, anomalous: value !== m, direction, spread: 'none' };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
