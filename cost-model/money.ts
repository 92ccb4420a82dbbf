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

/** `toLocaleString('en-US')` as a formatter made once, for whole numbers past the safe range. */
const EN_US = new Intl.NumberFormat('en-US');

/** A whole number with en-US thousands separators, as `toLocaleString('en-US')` writes it; by hand, since ICU takes microseconds a call and an answer of 10,000 groups has 30,000 figures. */
function withCommas(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) return EN_US.format(n);
  const digits = String(n);
  const head = digits.length % 3 || 3;
  let out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return out;
}

/** Below this, half-up rounding to cents in doubles is exact (the quotient's spacing is far below 1/20,000). */
const EXACT_IN_DOUBLES = 2 ** 40;

/** Compares strings as `localeCompare` does (the same default collator), built once for sorts of thousands of keys. */
export const compareText: (a: string, b: string) => number = new Intl.Collator().compare;

/** Formats micro-dollars for people: `$12.35` (cents, half up), or `$0.0042` below a cent so small figures do not read as zero. */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  if (abs > 0 && abs < 10_000) return `${sign}$${(abs / MICROS_PER_DOLLAR).toFixed(4)}`;
  const cents =
    Number.isInteger(abs) && abs < EXACT_IN_DOUBLES
      ? Math.floor((abs * 2 + 10_000) / 20_000)
      : Number(divRoundHalfUp(BigInt(abs), 10_000n));
  return `${sign}$${withCommas(Math.floor(cents / 100))}.${String(cents % 100).padStart(2, '0')}`;
}

/** Relative change from `previous` to `current` as a fraction (0.25 = +25%), or null when there was nothing before. */
export function relativeChange(current: number, previous: number): number | null {
  if (previous === 0) return null;
  return Math.round(((current - previous) / previous) * 10_000) / 10_000;
}
