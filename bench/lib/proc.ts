/** Memory and CPU of processes on this machine, read from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

/** Current resident set and its peak (VmHWM) of process `pid`, in bytes. */
export function procMemory(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

/** The fields of /proc/PID/stat after the command name (field 3 of stat is index 0 here). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds process `pid` has used so far (utime + stime, clock ticks of 1/100 s). */
export function procCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of `pid` and of its children alive now: a PostgreSQL server is its postmaster and the backends it forked. */
export function treeCpuSeconds(pid: number): number {
  let total = procCpuSeconds(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(Number(entry))[1]) === pid) total += procCpuSeconds(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return total;
}
