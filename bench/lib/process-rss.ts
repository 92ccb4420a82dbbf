/** Samples the resident memory of several processes at once from /proc, for per-process peaks during a phase. */
import { writeFileSync } from 'node:fs';
import { procMemory } from './proc';

/** One process's memory over a phase, in bytes. */
export interface ProcessRss {
  name: string;
  pid: number;
  startBytes: number;
  /** Largest VmRSS sampled. */
  peakBytes: number;
  /** VmHWM at the end: the kernel's own peak since the phase began (reset at its start where allowed), NaN if unknown. */
  hwmBytes: number;
}

/** Starts sampling `processes` every `everyMs`; `stop` returns each one's figures. Processes that end are kept with what was seen. */
export function sampleProcesses(
  processes: Array<{ name: string; pid: number }>,
  everyMs = 250,
): { stop(): ProcessRss[] } {
  const read = (pid: number): { rss: number; hwm: number } | undefined => {
    try {
      return procMemory(pid);
    } catch {
      return undefined;
    }
  };
  const figures = processes.map(({ name, pid }): ProcessRss => {
    try {
      // "5" resets VmHWM to the current RSS (Linux), so the peak is this phase's.
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // Not ours to reset (another user's process): VmHWM is then the process's lifetime peak.
    }
    const m = read(pid);
    return { name, pid, startBytes: m?.rss ?? NaN, peakBytes: m?.rss ?? NaN, hwmBytes: NaN };
  });
  const sample = (): void => {
    for (const f of figures) {
      const m = read(f.pid);
      if (!m) continue;
      f.peakBytes = Number.isNaN(f.peakBytes) ? m.rss : Math.max(f.peakBytes, m.rss);
      f.hwmBytes = m.hwm;
    }
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return figures;
    },
  };
}
