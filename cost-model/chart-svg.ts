/** A line chart of daily cost per group as a standalone SVG document (hand-written, no dependency). */
import { compareText, formatUsd } from './money';

/** One line of the chart. */
export interface ChartSeries {
  name: string;
  /** Micro-dollars per day, aligned with the chart's days. */
  values: number[];
}

const WIDTH = 860;
const HEIGHT = 420;
const PAD = { left: 80, right: 200, top: 40, bottom: 50 };
// Distinct hues that stay apart for people with the common colour-vision deficiencies.
const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

/** Escapes text for XML content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** Renders the series over `days` (YYYY-MM-DD); each series is one `<g class="series" data-series="name">` with its polyline. */
export function renderCostChart(title: string, days: readonly string[], series: readonly ChartSeries[]): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i: number) => PAD.left + (days.length <= 1 ? plotW / 2 : (i * plotW) / (days.length - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PAD.left}" y="24" font-size="16">${escapeXml(title)}</text>`,
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="#888"/>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    out.push(
      `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#444">${escapeXml(formatUsd(Math.round(v)))}</text>`,
    );
  }
  // At most ~8 date labels, so a month of days stays legible.
  const step = Math.max(1, Math.ceil(days.length / 8));
  days.forEach((day, i) => {
    if (i % step === 0 || i === days.length - 1)
      out.push(`<text x="${x(i)}" y="${PAD.top + plotH + 18}" text-anchor="middle" fill="#444">${day.slice(5)}</text>`);
  });
  series.forEach((s, index) => {
    const colour = COLOURS[index % COLOURS.length]!;
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const total = s.values.reduce((a, b) => a + b, 0);
    const legendY = PAD.top + 16 * index;
    out.push(
      `<g class="series" data-series="${escapeXml(s.name)}">`,
      `<title>${escapeXml(`${s.name}: ${formatUsd(total)} over ${days.length} days`)}</title>`,
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`,
      `<rect x="${PAD.left + plotW + 16}" y="${legendY - 9}" width="10" height="10" fill="${colour}"/>`,
      `<text x="${PAD.left + plotW + 32}" y="${legendY}">${escapeXml(s.name.length > 24 ? `${s.name.slice(0, 23)}…` : s.name)}</text>`,
      `</g>`,
    );
  });
  if (series.length === 0)
    out.push(
      `<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH / 2}" text-anchor="middle" fill="#888">no cost in this window</text>`,
    );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Turns rows of (key, day, micros) into aligned series over every day of [firstDay, lastDay], largest total first, at most `limit` (the rest summed as "other"). */
export function seriesFromRows(
  rows: ReadonlyArray<{ key: string; day: string; micros: number }>,
  days: readonly string[],
  limit = 8,
): ChartSeries[] {
  const index = new Map(days.map((d, i) => [d, i]));
  const byKey = new Map<string, number[]>();
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    const values = byKey.get(r.key) ?? new Array<number>(days.length).fill(0);
    values[i]! += r.micros;
    byKey.set(r.key, values);
  }
  const all = [...byKey]
    .map(([name, values]) => ({ name, values, total: values.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || compareText(a.name, b.name));
  const shown = all.slice(0, limit).map(({ name, values }) => ({ name, values }));
  const rest = all.slice(limit);
  if (rest.length > 0)
    shown.push({
      name: `other (${rest.length})`,
      values: days.map((_, i) => rest.reduce((s, r) => s + r.values[i]!, 0)),
    });
  return shown;
}
