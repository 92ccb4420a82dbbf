/** Renders the bench results as the printed report: one section per part, then a short summary. */
import type { ApiLoadResult } from './api-load';
import { delta, num, ratio, table } from './format';
import { PHASES } from './history';
import type { LoadResult } from './load';
import type { LogOverheadResult } from './log-overhead';
import type { OverheadResult } from './overhead';
import type { Summary } from './stats';

/** A phase's result, or why it has none (a failed phase must not hide the others). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** Part 1 for one server configuration. */
export interface ServerRun {
  /** Column title, e.g. "capstan". */
  name: string;
  description: string;
  overhead: Outcome<OverheadResult>;
}

/** Everything one bench run measured. */
export interface BenchResults {
  header: string;
  tasks: number;
  warmup: number;
  spawn: Outcome<{ shell: Summary; body: Summary }>;
  /** Index 0 is Capstan's dev-server config, index 1 the server defaults. */
  servers: [ServerRun, ServerRun];
  api: Outcome<ApiLoadResult>;
  concurrency: number;
  /** Part 4, and its rounds of three tasks. */
  logs: Outcome<LogOverheadResult>;
  logRuns: number;
  totalSeconds: number;
  /** Load averages when the run ended, to set beside those in the header. */
  loadAtEnd: string;
}

const stats = (label: string, s: Summary): string[] => [
  label,
  num(s.mean),
  num(s.p50),
  num(s.p95),
  num(s.min),
  num(s.max),
];

function overheadBlock(run: ServerRun, r: OverheadResult, tasks: number): string[] {
  return [
    `-- ${run.name}: ${run.description}`,
    ...table([
      ['per task, ms', 'mean', 'p50', 'p95', 'min', 'max'],
      stats('(a) Capstan taskWorkflow (sh -c true)', r.capstan),
      stats('(b) raw workflow, 1 no-op activity', r.raw),
      [
        'a/b',
        ratio(r.capstan.mean, r.raw.mean),
        ratio(r.capstan.p50, r.raw.p50),
        ratio(r.capstan.p95, r.raw.p95),
        '',
        '',
      ],
      [
        'a-b, extra ms',
        delta(r.capstan.mean, r.raw.mean),
        delta(r.capstan.p50, r.raw.p50),
        delta(r.capstan.p95, r.raw.p95),
        '',
        '',
      ],
    ]),
    `(c) raw chain: ${tasks} no-op activities in one workflow took ${num(r.chain.totalMs, 0)} ms = ${num(r.chain.perStepMs)} ms per step`,
    'where the time goes, from server event timestamps (means add up; p50 for a typical run):',
    ...table([
      ['  phase, ms per task', '(a) mean', '(b) mean', 'a-b', '(a) p50', '(b) p50'],
      ...PHASES.map((p) => {
        const a = r.phases.capstan[p];
        const b = r.phases.raw[p];
        return [`  ${p}`, num(a.mean), num(b.mean), delta(a.mean, b.mean), num(a.p50), num(b.p50)];
      }),
    ]),
  ];
}

function part1(res: BenchResults): string[] {
  const lines = [
    `== 1. Per-task overhead, sequential: ${res.tasks} tasks of each kind after ${res.warmup} warm-up, started and awaited one at a time`,
  ];
  for (const run of res.servers) {
    lines.push(
      ...(run.overhead.ok
        ? overheadBlock(run, run.overhead.value, res.tasks)
        : [`-- ${run.name}: FAILED: ${run.overhead.error}`]),
      '',
    );
  }
  if (!res.spawn.ok) return [...lines, `non-orchestration costs: FAILED: ${res.spawn.error}`];
  const { shell, body } = res.spawn.value;
  lines.push(
    `Cost inside (a) that is not orchestration, measured alone in this process (${res.tasks} runs each):`,
    ...table([
      ['', 'p50', 'p95', 'mean'],
      ['  /bin/sh -c true via runProcessGroup', num(shell.p50), num(shell.p95), num(shell.mean)],
      ['  whole runShellCommand body (mkdir, spawn, output file, rm)', num(body.p50), num(body.p95), num(body.mean)],
    ]),
  );
  const first = res.servers[0].overhead;
  if (first.ok) {
    const { capstan, raw } = first.value;
    const orchestration = capstan.p50 - raw.p50 - body.p50;
    lines.push(
      `=> ${res.servers[0].name}: (a) p50 ${num(capstan.p50)} = raw Temporal ${num(raw.p50)} + activity body ${num(body.p50)} + ${num(orchestration)} ms remainder (other Capstan overhead: search attributes, memo, payload size, heartbeat, workflow code; plus noise)`,
    );
  }
  return lines;
}

function part2(res: BenchResults): string[] {
  const [p1, def] = res.servers;
  const lines = [`== 2. Server settings: ${p1.name} (${p1.description}) vs ${def.name} (${def.description})`];
  if (!p1.overhead.ok || !def.overhead.ok) return [...lines, 'not comparable: a part-1 run failed (see above)'];
  const a = p1.overhead.value;
  const b = def.overhead.value;
  const row = (label: string, x: number, y: number): string[] => [label, num(x), num(y), ratio(y, x)];
  lines.push(
    ...table([
      ['ms', p1.name, def.name, `${def.name}/${p1.name}`],
      row('(a) Capstan mean', a.capstan.mean, b.capstan.mean),
      row('(a) Capstan p50', a.capstan.p50, b.capstan.p50),
      row('(a) Capstan p95', a.capstan.p95, b.capstan.p95),
      row('(b) raw mean', a.raw.mean, b.raw.mean),
      row('(b) raw p50', a.raw.p50, b.raw.p50),
      row('(b) raw p95', a.raw.p95, b.raw.p95),
      row('(c) chain per step', a.chain.perStepMs, b.chain.perStepMs),
      ['a/b at p50', ratio(a.capstan.p50, a.raw.p50), ratio(b.capstan.p50, b.raw.p50), ''],
    ]),
  );
  lines.push(`(a ratio above x1.00 in the last column means Temporal's defaults are slower than Capstan's settings)`);
  return lines;
}

const loadRow = (label: string, r: LoadResult): string[] => [
  label,
  String(r.latency.n),
  String(r.errors),
  num(r.latency.p50),
  num(r.latency.p90),
  num(r.latency.p99),
  num(r.latency.max),
  num(r.throughput),
  num(r.wallMs / 1000, 2),
];

const outcomeText = (r: LoadResult): string =>
  Object.entries(r.outcomes)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || 'none';

function part3(res: BenchResults): string[] {
  const lines = [
    `== 3. API latency under load: ${res.concurrency} concurrent clients, ${res.servers[0].name} dev server, in-process workers completing the tasks`,
  ];
  if (!res.api.ok) return [...lines, `FAILED: ${res.api.error}`];
  const api = res.api.value;
  const endToEnd = (api.drain.completed / (api.post.wallMs + api.drain.ms)) * 1000;
  return [
    ...lines,
    ...table([
      ['', 'n', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'req/s', 'wall s'],
      loadRow('POST /v1/tasks', api.post),
      loadRow('GET /v1/runs/:id (finished runs)', api.get),
    ]),
    `status counts: POST {${outcomeText(api.post)}}; GET {${outcomeText(api.get)}}`,
    `tasks: ${api.drain.completed} completed, ${api.drain.failed} failed; the last finished ${num(api.drain.ms / 1000, 2)} s after the last POST answered => ${num(endToEnd)} tasks/s end to end`,
  ];
}

/** Lines the 10 MB task prints (see LOG_SPECS). */
const PRINTED_LINES = 100_000;

function part4(res: BenchResults): string[] {
  const lines = [
    `== 4. Task logs: a task printing 10 MB (${PRINTED_LINES.toLocaleString('en')} lines of 100 bytes), log kept in the embedded database (its own process, as under npm start), ${res.logRuns} rounds of three tasks after warm-up, own dev server`,
  ];
  if (!res.logs.ok) return [...lines, `FAILED: ${res.logs.error}`];
  const r = res.logs.value;
  const rows = (label: string, a: Summary, b: Summary): string[][] => [
    [label, ratio(a.mean, b.mean), ratio(a.p50, b.p50), ratio(a.p95, b.p95), '', ''],
    ['  extra ms', delta(a.mean, b.mean), delta(a.p50, b.p50), delta(a.p95, b.p95), '', ''],
  ];
  const { withLog, withoutLog } = r.body;
  return [
    ...lines,
    ...table([
      ['per task, ms', 'mean', 'p50', 'p95', 'min', 'max'],
      stats('(a) prints 10 MB, log kept (default)', r.printed),
      stats('(b) same command > /dev/null', r.devNull),
      stats('(c) sh -c true', r.empty),
      ...rows('a/b: the log path', r.printed, r.devNull),
      ...rows('a/c: printing and its log', r.printed, r.empty),
      stats("(a)'s log marked ended after its result", r.logEndedAfter),
      stats('activity body alone, 10 MB, with log store', withLog),
      stats('activity body alone, 10 MB, no log store', withoutLog),
      ...rows('with/without log store', withLog, withoutLog),
    ]),
    `stored log of the last (a): ${r.stored.lines} lines, ${r.stored.bytes} bytes in ${r.stored.chunks} chunks, ${r.stored.cutLines} lines cut`,
    `=> keeping the log costs ${delta(r.printed.p50, r.devNull.p50)} ms per 10 MB task at p50 (${num(((r.printed.p50 - r.devNull.p50) * 1000) / PRINTED_LINES, 2)} µs per 100-byte line end to end; activity body alone ${num(((withLog.p50 - withoutLog.p50) * 1000) / PRINTED_LINES, 2)} µs per line); database, dev server and workers share this machine's cores`,
  ];
}

function summary(res: BenchResults): string[] {
  const lines = ['== Summary'];
  const [p1, def] = res.servers;
  if (p1.overhead.ok) {
    const { capstan, raw, chain } = p1.overhead.value;
    lines.push(
      `Capstan task p50 ${num(capstan.p50)} ms vs raw Temporal ${num(raw.p50)} ms: ${ratio(capstan.p50, raw.p50)} (${delta(capstan.p50, raw.p50)} ms per task); raw chain ${num(chain.perStepMs)} ms/step`,
    );
  }
  if (res.spawn.ok) {
    lines.push(
      `of the extra: sh spawn p50 ${num(res.spawn.value.shell.p50)} ms, whole activity body p50 ${num(res.spawn.value.body.p50)} ms`,
    );
  }
  if (p1.overhead.ok && def.overhead.ok) {
    const a = p1.overhead.value;
    const b = def.overhead.value;
    lines.push(
      `${def.name} vs ${p1.name}: Capstan p50 ${ratio(b.capstan.p50, a.capstan.p50)}, raw p50 ${ratio(b.raw.p50, a.raw.p50)}, chain/step ${ratio(b.chain.perStepMs, a.chain.perStepMs)}`,
    );
  }
  if (res.api.ok) {
    const { post, get } = res.api.value;
    lines.push(
      `API at ${res.concurrency} clients: POST p50/p99 ${num(post.latency.p50)}/${num(post.latency.p99)} ms ${num(post.throughput, 0)} req/s; GET p50/p99 ${num(get.latency.p50)}/${num(get.latency.p99)} ms ${num(get.throughput, 0)} req/s; errors ${post.errors + get.errors}`,
    );
  }
  if (res.logs.ok) {
    const r = res.logs.value;
    lines.push(
      `task logs: 10 MB task p50 ${num(r.printed.p50)} ms with its log vs ${num(r.devNull.p50)} ms into /dev/null: ${ratio(r.printed.p50, r.devNull.p50)} (${delta(r.printed.p50, r.devNull.p50)} ms); empty task ${num(r.empty.p50)} ms`,
    );
  }
  lines.push(
    `total bench time ${num(res.totalSeconds, 0)} s; load average at end ${res.loadAtEnd}; dev server, workers, API and load generator share this machine's cores (and so do other processes), so absolute figures include CPU contention`,
  );
  return lines;
}

/** The full report as lines of text. */
export function renderReport(res: BenchResults): string[] {
  return [res.header, '', ...part1(res), '', ...part2(res), '', ...part3(res), '', ...part4(res), '', ...summary(res)];
}
