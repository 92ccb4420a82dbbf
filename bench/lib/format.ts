/** Number and table formatting for the printed report. */

/** A number with fixed decimals, or "n/a" when a phase produced none. */
export function num(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

/** A ratio as "x1.23". */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a / b) ? `x${(a / b).toFixed(2)}` : 'n/a';
}

/** A signed difference in ms, as "+12.3". */
export function delta(a: number, b: number): string {
  const d = a - b;
  return Number.isFinite(d) ? `${d >= 0 ? '+' : ''}${d.toFixed(1)}` : 'n/a';
}

/** Rows as aligned columns: the first column left-aligned, the figures right-aligned. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
