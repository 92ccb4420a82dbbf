/**
 * Node states packed for continue-as-new: positional arrays, times relative to the run's start,
 * workers interned. 10,000 nodes fit in a few hundred KB instead of ~2 MB of objects. Pure.
 */
import type { NodeState, NodeStatus } from '../contracts/dag-run';
import type { LogTail } from '../contracts/log-tail';

const STATUSES: NodeStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];

/**
 * One packed node: [status, attempts, start, end, worker, exitCode, outputs, message, reused, logTail];
 * trailing empties dropped.
 */
type PackedNode = Array<number | string | Record<string, string> | LogTail | null>;

/**
 * Most failed nodes whose log tails a continue-as-new carries: ~2 KiB each, so 10,000 failures cannot
 * push the carried input past Temporal's payload limit. The others keep their message, which quotes the last line.
 */
export const MAX_CARRIED_LOG_TAILS = 50;

/** Packed node states of a run. */
export interface PackedStates {
  /** Epoch ms that packed times are relative to. */
  base: number;
  workers: string[];
  nodes: PackedNode[];
}

/** Packs node states; `base` is an epoch ms all times are stored relative to. */
export function packStates(states: NodeState[], base: number): PackedStates {
  const workers: string[] = [];
  const workerIndex = new Map<string, number>();
  const time = (iso: string | undefined): number | null => (iso === undefined ? null : Date.parse(iso) - base);
  let tailsLeft = MAX_CARRIED_LOG_TAILS;
  const nodes = states.map((s) => {
    let worker: number | null = null;
    if (s.worker !== undefined) {
      worker = workerIndex.get(s.worker) ?? workers.push(s.worker) - 1;
      workerIndex.set(s.worker, worker);
    }
    const packed: PackedNode = [
      STATUSES.indexOf(s.status),
      s.attempts ?? null,
      time(s.startedAt),
      time(s.finishedAt),
      worker,
      s.exitCode ?? null,
      s.outputs && Object.keys(s.outputs).length > 0 ? s.outputs : null,
      s.message ?? null,
      s.reused ? 1 : null,
      s.logTail && tailsLeft > 0 ? s.logTail : null,
    ];
    if (s.logTail) tailsLeft -= 1;
    while (packed.length > 1 && packed[packed.length - 1] === null) packed.pop();
    return packed;
  });
  return { base, workers, nodes };
}

/** Inverse of `packStates`. */
export function unpackStates(packed: PackedStates): NodeState[] {
  const time = (v: unknown): string | undefined =>
    typeof v === 'number' ? new Date(packed.base + v).toISOString() : undefined;
  return packed.nodes.map(([status, attempts, start, end, worker, exitCode, outputs, message, reused, logTail]) => {
    const state: NodeState = { status: STATUSES[status as number] ?? 'pending' };
    if (typeof attempts === 'number') state.attempts = attempts;
    const startedAt = time(start);
    if (startedAt) state.startedAt = startedAt;
    const finishedAt = time(end);
    if (finishedAt) state.finishedAt = finishedAt;
    if (typeof worker === 'number') state.worker = packed.workers[worker];
    if (typeof exitCode === 'number') state.exitCode = exitCode;
    if (outputs && typeof outputs === 'object') state.outputs = outputs as Record<string, string>;
    if (typeof message === 'string') state.message = message;
    if (reused === 1) state.reused = true;
    if (logTail && typeof logTail === 'object') state.logTail = logTail as LogTail;
    return state;
  });
}
