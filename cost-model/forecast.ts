/** Month-end forecast: what is spent so far this month plus the trailing 7-day daily mean for each day left. */
import { divRoundHalfUp } from './money';

/** The method, as the report states it. */
const FORECAST_METHOD =
  'month-to-date cost (first day of the month through the report date) + mean daily cost of the 7 days ending on the report date × days left in the month';

/** A forecast with the figures it came from. */
export interface MonthForecast {
  method: string;
  month: string;
  monthToDateMicros: number;
  trailing7DayMeanMicros: number;
  daysLeft: number;
  forecastMicros: number;
}

/**
 * `daily` maps each UTC day (YYYY-MM-DD) to its cost; days missing cost nothing. `date` is the last
 * day counted. The mean is rounded half up to a micro-dollar before it is multiplied.
 */
export function forecastMonthEnd(daily: ReadonlyMap<string, number>, date: string): MonthForecast {
  const day = new Date(`${date}T00:00:00Z`);
  const month = date.slice(0, 7);
  let monthToDate = 0;
  for (const [d, micros] of daily) if (d.startsWith(month) && d <= date) monthToDate += micros;
  let trailing = 0;
  for (let i = 0; i < 7; i++) trailing += daily.get(isoDay(new Date(day.getTime() - i * 86_400_000))) ?? 0;
  const mean = Number(divRoundHalfUp(BigInt(trailing), 7n));
  const lastDay = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
  const daysLeft = lastDay - day.getUTCDate();
  return {
    method: FORECAST_METHOD,
    month,
    monthToDateMicros: monthToDate,
    trailing7DayMeanMicros: mean,
    daysLeft,
    forecastMicros: monthToDate + mean * daysLeft,
  };
}

/** The UTC calendar day of an instant, as YYYY-MM-DD. */
export function isoDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The day `n` days after `date` (negative: before). */
export function addDays(date: string, n: number): string {
  return isoDay(new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000));
}
