/** Money and windows of the costs page: micro-dollars shown in the answer's currency, windows as whole UTC days. */

const MICROS = 1_000_000;
const DAY_MS = 86_400_000;

/** Micro-dollars as money in `currency`, e.g. "$12.35"; below a cent with four decimals so it does not read as zero. */
export function showMoney(micros: number, currency = 'USD'): string {
  const small = micros !== 0 && Math.abs(micros) < 10_000;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: small ? 4 : 2,
    maximumFractionDigits: small ? 4 : 2,
  }).format(micros / MICROS);
}

/** A fraction as a percentage, e.g. 0.256 → "25.6%". */
export function showPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction >= 10 ? 0 : 1)}%`;
}

/** The groupings the page offers; a label key is `label:<key>`. */
export const GROUPINGS = [
  { value: 'nodeClass', label: 'Node class' },
  { value: 'name', label: 'Run name' },
  { value: 'run', label: 'Run' },
  { value: 'label', label: 'Label' },
] as const;

/** Window lengths the page offers, in days. */
export const WINDOWS = [7, 14, 30, 90] as const;

/** What the URL of `/costs` asks: grouping, label key, window length and the report day. */
export interface CostView {
  grouping: (typeof GROUPINGS)[number]['value'];
  labelKey: string;
  days: number;
  report?: string;
}

/** The page's view from its query string, with defaults: by node class over 30 days, the newest report. */
export function costViewFrom(search: URLSearchParams): CostView {
  const grouping = GROUPINGS.find((g) => g.value === search.get('groupBy'))?.value ?? 'nodeClass';
  const days = WINDOWS.find((d) => String(d) === search.get('days')) ?? 30;
  return { grouping, labelKey: search.get('label') ?? 'team', days, report: search.get('report') ?? undefined };
}

/** The URL of a view, leaving defaults out so links stay short. */
export function costHref(view: CostView): string {
  const q = new URLSearchParams();
  if (view.grouping !== 'nodeClass') q.set('groupBy', view.grouping);
  if (view.grouping === 'label') q.set('label', view.labelKey);
  if (view.days !== 30) q.set('days', String(view.days));
  if (view.report) q.set('report', view.report);
  const text = q.toString();
  return text ? `/costs?${text}` : '/costs';
}

/** The API's `groupBy` of a view. */
export function groupByOf(view: CostView): string {
  return view.grouping === 'label' ? `label:${view.labelKey}` : view.grouping;
}

/** The window of a view: the last `days` whole UTC days, today included (`to` is tomorrow's midnight, exclusive). */
export function windowOf(days: number, now = Date.now()): { from: string; to: string } {
  const tomorrow = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: iso(tomorrow - days * DAY_MS), to: iso(tomorrow) };
}
