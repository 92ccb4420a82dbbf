/** The DAG bench's printed report: one block per part and a compact summary. */
import type { ExecutionSize } from './dag-history';
import type { LargeDag, Paired, Validation } from './dag-phases';
import { num, ratio, table } from './format';
import type { Outcome } from './report';

/** Everything the report prints. */
export interface DagBenchResults {
  header: string;
  nodeClass: { name: string; concurrency: number };
  continueAsNewAfterEvents: number;
  chain: Outcome<Paired>;
  fanout: Outcome<Paired>;
  large: Outcome<LargeDag>;
  /** The 50,000-task run, unless BENCH_DAG_HUGE=0 left it out. */
  huge?: Outcome<LargeDag>;
  validation: Outcome<Validation>;
  loads: Array<[string, string]>;
  /** SDK warnings logged during the run (message pattern, count). */
  warnings: Array<[string, number]>;
  totalSeconds: number;
}

/** Temporal's per-execution history limits (events, bytes). */
const LIMIT_EVENTS = 51_200;
const LIMIT_BYTES = 50 * 1024 * 1024;
/** Temporal's default largest payload (blob size limit). */
const LIMIT_PAYLOAD = 2 * 1024 * 1024;

const s = (ms: number): string => num(ms / 1000, 2);
const mb = (bytes: number): string => num(bytes / (1024 * 1024), 2);
const pct = (x: number, limit: number): string => `${num((100 * x) / limit, 1)}%`;

function chainBlock(c: Paired): string[] {
  return [
    ...table([
      ['wall time, s', 'median', 'min', 'max', 'ms/task (median)'],
      ['Capstan DAG', s(c.capstan.p50), s(c.capstan.min), s(c.capstan.max), num(c.capstan.p50 / c.size)],
      ['raw Temporal (rawChainWorkflow)', s(c.raw.p50), s(c.raw.min), s(c.raw.max), num(c.raw.p50 / c.size)],
    ]),
    `Capstan / raw at the median: ${ratio(c.capstan.p50, c.raw.p50)} (${c.capstan.n} runs each, alternating)`,
    `published, 40-task chain on 2 vCPUs (other hardware, context only): Hatchet 1.22 s, Windmill 2.09 s, Temporal 2.97 s; ours: Capstan ${s(c.capstan.p50)} s, raw Temporal ${s(c.raw.p50)} s`,
  ];
}

function fanoutBlock(f: Paired): string[] {
  const n = f.size + 1;
  return [
    ...table([
      [`${n} tasks`, 'median s', 'min s', 'tasks/s (median)', 'tasks/s (best)'],
      [
        'Capstan DAG',
        s(f.capstan.p50),
        s(f.capstan.min),
        num((n * 1000) / f.capstan.p50),
        num((n * 1000) / f.capstan.min),
      ],
      [
        'raw Temporal (root, then Promise.all)',
        s(f.raw.p50),
        s(f.raw.min),
        num((n * 1000) / f.raw.p50),
        num((n * 1000) / f.raw.min),
      ],
      ...(f.rawCommand
        ? [
            [
              'raw Temporal, each activity spawns `sh -c true`',
              s(f.rawCommand.p50),
              s(f.rawCommand.min),
              num((n * 1000) / f.rawCommand.p50),
              num((n * 1000) / f.rawCommand.min),
            ],
          ]
        : []),
    ]),
    `Capstan / raw throughput at the median: ${ratio(f.raw.p50, f.capstan.p50)}${f.rawCommand ? `; Capstan / raw spawning the same command: ${ratio(f.rawCommand.p50, f.capstan.p50)}` : ''} (${f.capstan.n} runs each, order rotated); published: Temporal ~94 tasks/s with 10 Go workers`,
  ];
}

/** Largest events and bytes of any execution, or NaN when none was listed. */
function largest(l: LargeDag): { events: number; bytes: number } {
  if (l.executions.length === 0) return { events: Number.NaN, bytes: Number.NaN };
  return {
    events: Math.max(...l.executions.map((e) => e.events)),
    bytes: Math.max(...l.executions.map((e) => e.bytes)),
  };
}

/** Largest payload of any execution in bytes (NaN when no history was read). */
function largestPayload(l: LargeDag): number {
  const sizes = l.executions.flatMap((e) => (e.largestPayloadBytes === undefined ? [] : [e.largestPayloadBytes]));
  return sizes.length === 0 ? Number.NaN : Math.max(...sizes);
}

/** Each process's peak as `name peak MB`, the orchestrator first. */
function processPeaks(l: LargeDag): string {
  return l.processes
    .map((p) => `${p.name} ${mb(Number.isNaN(p.hwmBytes) ? p.peakBytes : Math.max(p.peakBytes, p.hwmBytes))} MB`)
    .join(', ');
}

function largeBlock(l: LargeDag, continueAsNewAfterEvents: number): string[] {
  const { run } = l;
  const ok = run.error === undefined;
  const lines = [
    `run ${run.runId}: ${ok ? `${run.result?.status}, counts ${JSON.stringify(run.result?.counts)}` : `FAILED: ${run.error}`}`,
  ];
  if (l.lastProgress) lines.push(`last progress before terminating it: ${l.lastProgress}`);
  lines.push(
    `spec ${num(l.specBytes / 1024, 0)} KB; start RPC ${num(run.startMs, 0)} ms; wall ${s(run.wallMs)} s => ${num((l.succeeded * 1000) / run.wallMs)} tasks/s end to end${ok ? '' : ` (${l.succeeded} succeeded before it failed)`}`,
    `executions: ${run.result?.executions ?? 'n/a'} per the result, ${l.executions.length} listed (CAPSTAN_DAG_CONTINUE_AS_NEW_EVENTS ${continueAsNewAfterEvents}; an execution drains once its running tasks could take it past that many events or 8 MiB of history)`,
  );
  if (l.executionsError) lines.push(`listing executions failed: ${l.executionsError}`);
  if (l.executions.length > 0) {
    const wft = (e: ExecutionSize, f: (w: NonNullable<ExecutionSize['wft']>) => string): string =>
      e.wft ? f(e.wft) : 'n/a';
    lines.push(
      ...table([
        [
          'execution',
          'status',
          'events',
          'MB',
          'input KB',
          'largest payload KB',
          'WFT timed out',
          'WFT failed',
          'longest WFT ms',
          'failure causes',
        ],
        ...l.executions.map((e, i) => [
          `  #${i + 1} ${e.runId}`,
          e.status,
          String(e.events),
          mb(e.bytes),
          e.inputBytes === undefined ? 'n/a' : num(e.inputBytes / 1024, 0),
          e.largestPayloadBytes === undefined ? 'n/a' : num(e.largestPayloadBytes / 1024, 0),
          wft(e, (w) => String(w.timedOut)),
          wft(e, (w) => String(w.failed)),
          wft(e, (w) => num(w.maxMs, 0)),
          wft(e, (w) => w.causes || '-'),
        ]),
      ]),
    );
    for (const e of l.executions)
      if (e.historyError) lines.push(`  reading the history of ${e.runId} failed: ${e.historyError}`);
    const max = largest(l);
    const total = l.executions.reduce((sum, e) => sum + e.events, 0);
    lines.push(
      `largest history: ${max.events} events (${pct(max.events, LIMIT_EVENTS)} of Temporal's 51,200) and ${mb(max.bytes)} MB (${pct(max.bytes, LIMIT_BYTES)} of 50 MB); ${total} events in all, ${num(total / Math.max(1, l.succeeded), 2)} per succeeded task`,
      `largest payload: ${num(largestPayload(l) / 1024, 0)} KB (${pct(largestPayload(l), LIMIT_PAYLOAD)} of Temporal's 2 MB)`,
    );
  }
  lines.push(
    ...table([
      ['process', 'pid', 'RSS at start MB', 'peak RSS sampled MB', 'VmHWM MB'],
      ...l.processes.map((p) => [
        `  ${p.name}`,
        String(p.pid),
        mb(p.startBytes),
        mb(p.peakBytes),
        Number.isNaN(p.hwmBytes) ? 'n/a' : mb(p.hwmBytes),
      ]),
    ]),
    "(sampled every 250 ms; VmHWM is the kernel's peak, reset at the phase's start; the bench process holds the client and the idle raw pair, and whatever is not listed on its own)",
  );
  return lines;
}

function validationBlock(v: Validation): string[] {
  return [
    `spec JSON ${num(v.specBytes / 1024, 0)} KB; ${v.issues} issues${v.issues === 0 ? '' : ' (EXPECTED 0)'}`,
    ...table([
      ['ms', 'median', 'min', 'max'],
      ['JSON.parse of the body (not counted)', num(v.jsonParse.p50), num(v.jsonParse.min), num(v.jsonParse.max)],
      ['DagSpecSchema.parse', num(v.schemaParse.p50), num(v.schemaParse.min), num(v.schemaParse.max)],
      ['validateDag', num(v.validate.p50), num(v.validate.min), num(v.validate.max)],
      ['parse + validate', num(v.total.p50), num(v.total.min), num(v.total.max)],
    ]),
  ];
}

function block<T>(title: string, outcome: Outcome<T>, body: (v: T) => string[]): string[] {
  return [title, ...(outcome.ok ? body(outcome.value) : [`FAILED: ${outcome.error}`]), ''];
}

function summary(res: DagBenchResults): string[] {
  const lines = ['== Summary'];
  if (res.chain.ok) {
    const c = res.chain.value;
    lines.push(
      `chain ${c.size}: Capstan ${s(c.capstan.p50)} s vs raw ${s(c.raw.p50)} s (${ratio(c.capstan.p50, c.raw.p50)}); published Hatchet 1.22 / Windmill 2.09 / Temporal 2.97 s`,
    );
  } else lines.push(`chain: FAILED`);
  if (res.fanout.ok) {
    const f = res.fanout.value;
    const n = f.size + 1;
    lines.push(
      `fan-out ${f.size}: Capstan ${num((n * 1000) / f.capstan.p50)} tasks/s vs raw ${num((n * 1000) / f.raw.p50)} tasks/s (Capstan at ${ratio(f.raw.p50, f.capstan.p50)} of raw's throughput)${f.rawCommand ? `; raw spawning \`sh -c true\` per task ${num((n * 1000) / f.rawCommand.p50)} tasks/s (Capstan at ${ratio(f.rawCommand.p50, f.capstan.p50)})` : ''}; published Temporal ~94 tasks/s`,
    );
  } else lines.push(`fan-out: FAILED`);
  for (const [name, outcome] of [
    ['layered', res.large],
    ['huge layered', res.huge],
  ] as const) {
    if (outcome === undefined) continue;
    if (!outcome.ok) {
      lines.push(`${name}: FAILED`);
      continue;
    }
    const l = outcome.value;
    const max = largest(l);
    lines.push(
      `${name} ${l.tasks}: ${l.run.error === undefined ? 'succeeded' : `FAILED after ${l.succeeded} tasks`} in ${s(l.run.wallMs)} s (${num((l.succeeded * 1000) / l.run.wallMs)} tasks/s), ${l.run.result?.executions ?? l.executions.length} executions, max history ${max.events} events / ${mb(max.bytes)} MB, largest payload ${num(largestPayload(l) / 1024, 0)} KB; peak RSS: ${processPeaks(l)}`,
    );
  }
  if (res.validation.ok) {
    const v = res.validation.value;
    lines.push(
      `validation of ${v.tasks} tasks (${num(v.specBytes / 1024, 0)} KB): parse ${num(v.schemaParse.p50)} ms + validateDag ${num(v.validate.p50)} ms = ${num(v.total.p50)} ms median`,
    );
  }
  if (res.warnings.length > 0)
    lines.push(`SDK warnings on stderr: ${res.warnings.map(([m, n]) => `${n} x "${m}"`).join('; ')}`);
  lines.push(
    `load average (1/5/15 min): ${res.loads.map(([when, l]) => `${when} ${l}`).join('; ')}; total bench time ${num(res.totalSeconds, 0)} s`,
  );
  lines.push(
    "dev server, workers and client share this machine's cores with other processes: absolute figures include that contention",
  );
  return lines;
}

/** The full report as lines of text. */
export function renderDagReport(res: DagBenchResults): string[] {
  const nc = `class "${res.nodeClass.name}" concurrency ${res.nodeClass.concurrency}`;
  return [
    res.header,
    '',
    ...block(
      `== 1. Chain of light tasks (command 'true', each dependsOn the previous) vs raw Temporal sequential no-op activities`,
      res.chain,
      chainBlock,
    ),
    ...block(
      `== 2. Fan-out: one root + independent light tasks (maxParallel = width, ${nc}; raw activity worker same concurrency)`,
      res.fanout,
      fanoutBlock,
    ),
    ...block(`== 3. Layered DAG, ${nc}`, res.large, (l) => largeBlock(l, res.continueAsNewAfterEvents)),
    ...(res.huge
      ? block(`== 3b. Huge layered DAG, ${nc}`, res.huge, (l) => largeBlock(l, res.continueAsNewAfterEvents))
      : []),
    ...block(
      '== 4. Validation of a 10,000-task layered spec (5 runs, in this process, before the dev server starts)',
      res.validation,
      validationBlock,
    ),
    ...summary(res),
  ];
}
