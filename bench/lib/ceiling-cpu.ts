/**
 * CPU and memory of every process of the stack over time, from /proc (Linux): each process's
 * utime+stime (and its reaped children's, for the worker whose tasks are processes), its busiest
 * thread (a Node.js main thread at 100 % is a limit even when the process's other threads idle), its
 * RSS, and the whole machine's busy time, so a share taken by other users of the machine shows too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { procMemory } from './proc';

/** A process to watch; `children`: count the CPU of the processes it started and reaped (a task's shell). */
export interface Watched {
  name: string;
  pid: number;
  children?: boolean;
}

interface ProcReading {
  ticks: number;
  rss: number;
  threads: Map<number, { comm: string; ticks: number }>;
}

interface Reading {
  at: number;
  procs: Map<string, ProcReading>;
  machineBusy: number;
  machineTotal: number;
}

/** One process over a window. */
export interface ProcessCpu {
  name: string;
  pid: number;
  /** CPU used over the window in cores: 1.0 is one core busy all the time. */
  cores: number;
  /** The busiest thread, by name, in cores. */
  hottestThread: { comm: string; cores: number } | undefined;
  startRss: number;
  peakRss: number;
}

/** Every watched process and the machine over one window. */
export interface CpuWindow {
  seconds: number;
  processes: ProcessCpu[];
  /** The machine's busy time over the window in cores (all users of the machine). */
  machineCores: number;
  /** Cores of this machine. */
  cores: number;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const HZ = 100;

function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function readProc(w: Watched): ProcReading | undefined {
  try {
    const f = statFields(`/proc/${w.pid}/stat`);
    const own = Number(f[11]) + Number(f[12]);
    const ticks = own + (w.children ? Number(f[13]) + Number(f[14]) : 0);
    const threads = new Map<number, { comm: string; ticks: number }>();
    for (const tid of readdirSync(`/proc/${w.pid}/task`)) {
      try {
        const tf = statFields(`/proc/${w.pid}/task/${tid}/stat`);
        const comm = readFileSync(`/proc/${w.pid}/task/${tid}/comm`, 'utf8').trim();
        threads.set(Number(tid), { comm, ticks: Number(tf[11]) + Number(tf[12]) });
      } catch {
        // The thread ended while the list was read.
      }
    }
    return { ticks, rss: procMemory(w.pid).rss, threads };
  } catch {
    return undefined;
  }
}

function readMachine(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((s, x) => s + x, 0);
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

/** Samples `watched` every `everyMs`; `mark()` names a point in time, `window(a, b)` gives the figures between two marks. */
export class CpuSampler {
  private readonly readings: Reading[] = [];
  private readonly timer: NodeJS.Timeout;

  /** Starts sampling at once. */
  constructor(
    private readonly watched: Watched[],
    everyMs = 1000,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): Reading {
    const procs = new Map<string, ProcReading>();
    for (const w of this.watched) {
      const r = readProc(w);
      if (r) procs.set(w.name, r);
    }
    const m = readMachine();
    const reading = { at: performance.now(), procs, machineBusy: m.busy, machineTotal: m.total };
    this.readings.push(reading);
    return reading;
  }

  /** Takes a reading now and returns its index, for `window`. */
  mark(): number {
    this.sample();
    return this.readings.length - 1;
  }

  /** Figures between marks `a` and `b` (b defaults to now). */
  window(a: number, b = this.mark()): CpuWindow {
    const from = this.readings[a];
    const to = this.readings[b];
    if (!from || !to) throw new Error(`no CPU readings ${a}..${b}`);
    const seconds = (to.at - from.at) / 1000;
    const coresOf = (ticks: number): number => (seconds > 0 ? ticks / HZ / seconds : NaN);
    const between = this.readings.slice(a, b + 1);
    const processes = this.watched.map((w): ProcessCpu => {
      const p0 = from.procs.get(w.name);
      const p1 = to.procs.get(w.name);
      let hottest: ProcessCpu['hottestThread'];
      if (p0 && p1) {
        for (const [tid, t1] of p1.threads) {
          const t0 = p0.threads.get(tid);
          const cores = coresOf(t1.ticks - (t0?.ticks ?? 0));
          if (!hottest || cores > hottest.cores) hottest = { comm: t1.comm, cores };
        }
      }
      const rss = between.map((r) => r.procs.get(w.name)?.rss ?? NaN).filter((x) => Number.isFinite(x));
      return {
        name: w.name,
        pid: w.pid,
        cores: p0 && p1 ? coresOf(p1.ticks - p0.ticks) : NaN,
        hottestThread: hottest,
        startRss: rss[0] ?? NaN,
        peakRss: rss.length > 0 ? Math.max(...rss) : NaN,
      };
    });
    const cores = cpus().length;
    const totalTicks = to.machineTotal - from.machineTotal;
    const machineCores = totalTicks > 0 ? ((to.machineBusy - from.machineBusy) / totalTicks) * cores : NaN;
    return { seconds, processes, machineCores, cores };
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.timer);
  }
}
