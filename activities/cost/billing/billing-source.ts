/** External billing (a cloud provider's own bill) as optional sources behind one interface. */

/** One service's cost on one UTC day, as the provider bills it. */
export interface ExternalCost {
  source: string;
  day: string;
  service: string;
  micros: number;
}

/** A provider's bill, read per day. */
export interface BillingSource {
  readonly name: string;
  /** Costs of the UTC days in [fromDay, toDay) (YYYY-MM-DD, end exclusive). */
  dailyCosts(fromDay: string, toDay: string): Promise<ExternalCost[]>;
}

/** Converts a decimal amount as providers send it ("12.3456789") to micro-dollars, half up, without going through binary floating point. */
export function decimalToMicros(amount: string): number {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(amount.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new Error(`not a decimal amount: "${amount}"`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  // Shift the decimal point by the exponent and by 6 (micro-dollars), then round the remainder half up.
  const digits = `${whole}${fraction}` || '0';
  const point = whole!.length + Number(exponent) + 6;
  const intPart = point <= 0 ? '0' : digits.padEnd(point, '0').slice(0, point);
  const next = point < 0 ? 0 : Number(digits[point] ?? '0');
  let micros = BigInt(intPart || '0');
  if (next >= 5) micros += 1n;
  return Number(sign === '-' ? -micros : micros);
}
