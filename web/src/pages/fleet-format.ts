/** Figures of the fleet pages: a worker's load and usage as percentages, sizes in binary units, ages in words. */

/** Past this share of a volume, memory or CPUs a figure is shown in the warning colour (the alerts' default too). */
export const HIGH_USE_PERCENT = 90;

/** The used share of something that has `total` and `free` left, as a percentage; undefined when total is unknown. */
export function usedPercent(total: number, free: number): number | undefined {
  if (!(total > 0)) return undefined;
  return Math.min(100, Math.max(0, ((total - free) / total) * 100));
}

/** The one-minute load over the CPUs the worker may use, as a percentage (over 100 when work waits for a CPU). */
export function loadPercent(load1: number, cpus: number): number | undefined {
  if (!(cpus > 0)) return undefined;
  return (load1 / cpus) * 100;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units, e.g. 16 GiB, 931.5 GiB, 512 MiB. */
export function showBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** How long ago `iso` was, from `now`: "4 s ago", "3 min ago", "2 h ago", "3 d ago"; a time ahead of the browser is "just now". */
export function showAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return iso;
  // The database's clock and the browser's differ a little: a report "from the future" arrived just now.
  if (seconds < 1) return 'just now';
  if (seconds < 120) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}
