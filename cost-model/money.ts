/** Money as integer micro-dollars (1 USD = 1,000,000), so sums and hand calculations agree to the last digit. */

/** Micro-dollars in one dollar. */
const MICROS_PER_DOLLAR = 1_000_000;
/** Milliseconds in one hour: prices are per hour, durations in milliseconds. */
export const MS_PER_HOUR = 3_600_000;

/** Converts a price in dollars (as written in YAML, e.g. 0.45) to whole micro-dollars; more than 6 decimals are rounded. */
export function dollarsToMicros(dollars: number): number {
  // Through the decimal text, so 0.1 becomes exactly 100000 rather than the nearest binary fraction times 1e6.
  return Math.round(Number(`${dollars}e6`));
}

/** Integer division rounding halves up, for non-negative integers given as bigints. */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** The cost of `ms` milliseconds at `microsPerHour`, rounded half up to a whole micro-dollar. */
export function costOfMs(ms: number, microsPerHour: number): number {
  return Number(divRoundHalfUp(BigInt(Math.round(ms)) * BigInt(microsPerHour), BigInt(MS_PER_HOUR)));
}

/** Formats micro-dollars for people: `$12.35` (cents, half up), or `$0.0042` below a cent so small figures do not read as zero. */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  if (abs > 0 && abs < 10_000) return `${sign}$${(abs / MICROS_PER_DOLLAR).toFixed(4)}`;
  const cents = Number(divRoundHalfUp(BigInt(abs), 10_000n));
  return `${sign}$${Math.floor(cents / 100).toLocaleString('en-US')}.${String(cents % 100).padStart(2, '0')}`;
}

/** Relative change from `previous` to `current` as a fraction (0.25 = +25%), or null when there was nothing before. */
export function relativeChange(current: number, previous: number): number | null {
  if (previous === 0) return null;
  return Math.round(((current - previous) / previous) * 10_000) / 10_000;
}
