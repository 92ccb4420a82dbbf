/** The ceiling bench's report: the search steps, the long run, each process's CPU share, what limited the rate, and a sizing line. */
import type { CpuWindow, ProcessCpu } from './ceiling-cpu';
import type { RunShape } from './ceiling-runs';
import type { CeilingResult, SearchResult } from './ceiling-search';
import type { StepResult } from './ceiling-step';
import { num, table } from './format';

/** A process's busiest thread at or above this share of a core is taken as the limit: it cannot go faster. */
const HOT_THREAD = 0.9;
/** The machine's busy time at or above this share of all its cores counts as saturated. */
const SATURATED = 0.9;

const pct = (cores: number): string => (Number.isFinite(cores) ? `${(cores * 100).toFixed(0)}%` : 'n/a');
const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : 'n/a');

/** CPU of each process in a window, in a few words for a progress line: "api 45%, orchestrator 30%, …, machine 180/200%". */
export function shortCpu(w: CpuWindow): string {
  const own = w.processes.map((p) => `${p.name} ${pct(p.cores)}`).join(', ');
  return `${own}; machine ${pct(w.machineCores)} of ${w.cores * 100}%`;
}

/** Cores used by processes other than the watched ones (other users of the machine), never below 0. */
function othersCores(w: CpuWindow): number {
  const own = w.processes.reduce((s, p) => s + (Number.isFinite(p.cores) ? p.cores : 0), 0);
  return Math.max(0, w.machineCores - own);
}

/**
 * What limited the rate in a window where it was at or past the limit: a thread at a full core (a
 * Node.js main thread, PGlite's one query at a time), or all the machine's cores busy, or neither
 * (then the limit is not CPU: task slots, or waits inside the dev server).
 */
export function limitOf(w: CpuWindow): string {
  const hot = w.processes
    .filter((p) => (p.hottestThread?.cores ?? 0) >= HOT_THREAD)
    .sort((a, b) => (b.hottestThread?.cores ?? 0) - (a.hottestThread?.cores ?? 0));
  const top = [...w.processes].sort((a, b) => b.cores - a.cores)[0];
  const parts: string[] = [];
  for (const p of hot) {
    parts.push(
      `the ${p.name}'s thread "${p.hottestThread?.comm}" at ${pct(p.hottestThread?.cores ?? NaN)} of one core (the process ${pct(p.cores)})`,
    );
  }
  if (w.machineCores >= SATURATED * w.cores) {
    parts.push(
      `the machine's ${w.cores} cores saturated (${pct(w.machineCores)} busy: ${top ? `most in the ${top.name}, ${pct(top.cores)}; ` : ''}other users of the machine ${pct(othersCores(w))})`,
    );
  }
  if (parts.length > 0) return parts.join('; and ');
  return `no CPU limit: no thread near a full core, the machine ${pct(w.machineCores)} of ${w.cores * 100}% busy (the most: the ${top?.name ?? '?'} at ${pct(top?.cores ?? NaN)}); the wait is elsewhere (task slots, the dev server's persistence)`;
}

function errorsText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? '0' : entries.map(([k, n]) => `${k}×${n}`).join(' ');
}

function endedText(s: StepResult): string {
  const completed = s.states.Completed ?? 0;
  const other = Object.entries(s.states).filter(([k, n]) => k !== 'Completed' && n > 0);
  return `${completed}/${s.accepted}${other.length > 0 ? ` (${other.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`;
}

/** Processes that serve the tasks: all but the load generator, unless the baseline's workers run in it. */
const serving = (p: ProcessCpu, withBench: boolean): boolean => withBench || p.name !== 'bench';

/** CPU milliseconds a process spent per task sent in the window. */
function msPerTask(p: ProcessCpu, w: CpuWindow, tasks: number): number {
  return (p.cores * w.seconds * 1000) / tasks;
}

/** CPU milliseconds the serving processes spent per task sent in the window (`withBench`: the bench's too). */
export function servingMsPerTask(w: CpuWindow, tasks: number, withBench = false): number {
  return w.processes.filter((p) => serving(p, withBench)).reduce((sum, p) => sum + msPerTask(p, w, tasks), 0);
}

function processRows(w: CpuWindow, tasks: number, withBench: boolean): string[] {
  const rows = [
    ['process', 'pid', 'CPU (% of one core)', 'CPU ms per task', 'busiest thread', 'RSS start', 'RSS peak'],
  ];
  for (const p of w.processes) {
    rows.push([
      p.name,
      String(p.pid),
      pct(p.cores),
      num(msPerTask(p, w, tasks)),
      p.hottestThread ? `${p.hottestThread.comm} ${pct(p.hottestThread.cores)}` : 'n/a',
      mb(p.startRss),
      mb(p.peakRss),
    ]);
  }
  rows.push(['other users of the machine', '', pct(othersCores(w)), '', '', '', '']);
  rows.push([`machine (${w.cores} cores)`, '', `${pct(w.machineCores)} of ${w.cores * 100}%`, '', '', '', '']);
  const perTask = servingMsPerTask(w, tasks, withBench);
  const who = withBench
    ? 'The dev server and the bench (the raw workers run in it)'
    : "Capstan's processes and the dev server";
  return [
    ...table(rows),
    `${who} spent ${num(perTask)} ms of CPU per task: the machine's ${w.cores} cores alone would allow at most ${num((w.cores * 1000) / perTask, 0)} tasks/s`,
  ];
}

function searchSection(title: string, search: SearchResult, withBench: boolean): string[] {
  const out = [title];
  const names = search.steps[0]?.cpu.processes.map((p) => p.name) ?? [];
  const rows = [
    [
      'step',
      'rate/s',
      'sent',
      'errors',
      'start p50/p99 ms',
      'backlog mid/end',
      'drained s',
      'completed',
      'run p50/p99 ms',
      ...names.map((n) => `${n} %`),
      'machine %',
      'CPU ms/task',
      'load 1m',
      'verdict',
    ],
  ];
  for (const s of search.steps) {
    rows.push([
      s.label.split(' @')[0] ?? s.label,
      String(s.rate),
      String(s.sent),
      errorsText(s.errors),
      `${num(s.post.p50, 0)}/${num(s.post.p99, 0)}`,
      `${num(s.backlogMid, 0)}/${num(s.backlogEnd, 0)}`,
      s.drainSeconds === undefined ? 'no' : num(s.drainSeconds),
      endedText(s),
      `${num(s.latency.p50, 0)}/${num(s.latency.p99, 0)}`,
      ...s.cpu.processes.map((p) => pct(p.cores).replace('%', '')),
      pct(s.cpu.machineCores).replace('%', ''),
      num(servingMsPerTask(s.cpu, s.sent, withBench)),
      s.loadEnd.split(' ')[0] ?? '',
      s.holds ? 'held' : 'NOT held',
    ]);
  }
  out.push(...table(rows));
  for (const s of search.steps.filter((x) => !x.holds)) out.push(`  ${s.label} did not hold: ${s.why.join('; ')}`);
  out.push('');
  if (search.firstFailed) {
    out.push(`### Where the limit shows: ${search.firstFailed.label}, the lowest rate that did not hold`);
    out.push(...processRows(search.firstFailed.cpu, search.firstFailed.sent, withBench));
    out.push(`limit: ${limitOf(search.firstFailed.cpu)}`, '');
  }
  return out;
}

function shapeLine(who: string, shape: RunShape | undefined): string[] {
  if (!shape) return [];
  const acts = Object.entries(shape.activities)
    .map(([k, n]) => `${k}${n > 1 ? ` ×${n}` : ''}`)
    .join(', ');
  return [
    `one ${who} run (${shape.runId}): ${shape.events} history events, ${shape.workflowTasks} workflow tasks, activities: ${acts || 'none'}`,
  ];
}

/** The whole report, as lines. */
export function renderCeiling(
  header: string[],
  result: CeilingResult,
  minutes: number,
  totalSeconds: number,
): string[] {
  const out = [...header, ''];
  out.push(
    ...searchSection(
      '## Capstan search: POST /v1/tasks at a fixed arrival rate; a step holds when every POST got 202, the backlog (sent − ended) did not grow, and every task ended Completed within the drain bound ("CPU ms/task": all processes but the bench, per task sent)',
      result,
      false,
    ),
  );
  const s = result.sustained;
  if (!s) {
    out.push(`## Sustained: not run (no rate held; the lowest tried was ${result.steps[0]?.rate ?? '?'}/s)`, '');
  } else {
    out.push(`## Sustained: ${s.rate} tasks/s for ${minutes} min (${s.holds ? 'held' : 'did NOT hold'})`);
    out.push(
      `sent ${s.sent}, accepted ${s.accepted}, POST errors ${errorsText(s.errors)}; ended Completed ${endedText(s)}; every task ended ${s.drainSeconds === undefined ? 'NOT within the bound' : `${num(s.drainSeconds)} s after the last answer`}`,
      `POST /v1/tasks, scheduled send → 202: p50 ${num(s.post.p50)} ms, p90 ${num(s.post.p90)}, p99 ${num(s.post.p99)}, max ${num(s.post.max)}; largest send lag ${num(s.maxSendLagMs)} ms`,
      `run, accepted → ended (Temporal's StartTime → CloseTime): p50 ${num(s.latency.p50)} ms, p90 ${num(s.latency.p90)}, p99 ${num(s.latency.p99)}, max ${num(s.latency.max)} (n ${s.latency.n})`,
      `backlog (sent − ended): mean ${num(s.backlogMid, 0)} in the 2nd quarter, ${num(s.backlogEnd, 0)} in the last; load average ${s.loadStart} at start, ${s.loadEnd} at end`,
    );
    if (!s.holds) out.push(`did not hold: ${s.why.join('; ')}`);
    out.push(...processRows(s.cpu, s.sent, false));
    out.push(`busiest during the run: ${limitOf(s.cpu)}`, '');
  }
  out.push(...shapeLine('Capstan task', result.shape));
  if (result.raw) {
    out.push(
      '',
      ...searchSection(
        '## Baseline, raw Temporal on the same server: a workflow of one no-op activity per task, started by the client (its worker pair runs in the bench process, so its CPU is under "bench"; "CPU ms/task" counts the bench)',
        result.raw,
        true,
      ),
    );
    out.push(...shapeLine('raw', result.rawShape));
    const ratioText =
      result.held !== undefined && result.raw.held !== undefined
        ? `x${(result.held / result.raw.held).toFixed(2)}`
        : 'n/a';
    out.push(
      `highest rate that held in the search: Capstan ${result.held ?? 'none'}/s, raw Temporal ${result.raw.held ?? 'none'}/s (${ratioText})`,
    );
  }
  out.push('');
  const limit = result.firstFailed
    ? limitOf(result.firstFailed.cpu)
    : `not reached: every rate tried held (up to ${result.steps[result.steps.length - 1]?.rate ?? '?'}/s); add higher BENCH_CEILING_RATES`;
  const cores = result.steps[0]?.cpu.cores ?? NaN;
  if (s?.holds) {
    out.push(
      `sizing: one ${cores}-core machine sustained ${s.rate} tasks/s for ${minutes} min with every task completing (run p99 ${num(s.latency.p99, 0)} ms, POST p99 ${num(s.post.p99, 0)} ms); the limit was ${limit}`,
    );
  } else if (s) {
    out.push(
      `sizing: one ${cores}-core machine held ${s.rate} tasks/s in a ${result.steps[0]?.seconds ?? '?'}-s step but NOT for ${minutes} min (${s.why.join('; ')}); the limit at the next rate was ${limit}`,
    );
  } else {
    out.push(`sizing: no rate held on this ${cores}-core machine; ${limit}`);
  }
  out.push(`total ${num(totalSeconds)} s`);
  return out;
}
