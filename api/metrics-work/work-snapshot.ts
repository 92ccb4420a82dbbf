/**
 * The figures behind the work metrics, read from PostgreSQL and Temporal at most once every few seconds per API
 * process (concurrent scrapes share one read). Each source is read on its own: one that fails is left out of the
 * scrape and counted, and the others are still exposed.
 */
import { costByGroup, type CostRow } from '../../db/stores/cost-queries';
import { attemptGroups, runsStartedByKind, type AttemptGroup } from '../../db/stores/attempt-metrics';
import type { RunEndCounts } from '../../db/stores/run-end-tally';
import { dollarsToMicros } from '../../cost-model/money';
import type { ApiDeps } from '../services/deps';
import { listNodeClassViews, type NodeClassView } from '../services/node-class-views';
import { runEndedTotals } from '../services/run-end-counts';

/** How long one read of the sources serves scrapes. */
export const WORK_METRICS_TTL_MS = 5000;

/** The sources a scrape reads; each is absent when its read failed. */
export interface WorkSnapshot {
  attempts?: AttemptGroup[];
  runsStarted?: Map<string, number>;
  runsEnded?: RunEndCounts;
  nodeClasses?: NodeClassView[];
  cost?: CostRow[];
  /** Each source's outcome, for the `up` gauge. */
  up: Record<SourceName, boolean>;
}

/** The names of the sources, as the error metrics label them. */
export const SOURCE_NAMES = ['attempts', 'runs_started', 'runs_ended', 'node_classes', 'cost'] as const;
/** One source. */
export type SourceName = (typeof SOURCE_NAMES)[number];

/** A cached reader of the snapshot; `onError` hears each failed source read. */
export function workSnapshotReader(
  deps: ApiDeps,
  onError: (source: SourceName, err: Error) => void,
  ttlMs = WORK_METRICS_TTL_MS,
): () => Promise<WorkSnapshot> {
  let cached: { at: number; snapshot: Promise<WorkSnapshot> } | undefined;
  return () => {
    const now = Date.now();
    if (cached && now - cached.at < ttlMs) return cached.snapshot;
    cached = { at: now, snapshot: readSnapshot(deps, onError) };
    return cached.snapshot;
  };
}

async function readSnapshot(deps: ApiDeps, onError: (source: SourceName, err: Error) => void): Promise<WorkSnapshot> {
  const up = Object.fromEntries(SOURCE_NAMES.map((s) => [s, true])) as Record<SourceName, boolean>;
  const read = async <T>(source: SourceName, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      up[source] = false;
      onError(source, err as Error);
      return undefined;
    }
  };
  const prices = new Map(deps.nodeClasses.map((c) => [c.name, dollarsToMicros(c.pricePerHour)]));
  const [attempts, runsStarted, runsEnded, nodeClasses, cost] = await Promise.all([
    read('attempts', () => attemptGroups(deps.db)),
    read('runs_started', () => runsStartedByKind(deps.db)),
    // Temporal's reads get a deadline: the client retries an unreachable server for about 20 s, longer than a scrape
    // waits (10 s by default), and the other sources' figures must still get out.
    read('runs_ended', () => withTemporalDeadline(deps, () => runEndedTotals(deps))),
    read('node_classes', () => withTemporalDeadline(deps, () => listNodeClassViews(deps))),
    // Cost to date: every closed attempt, priced as the cost API prices it.
    read('cost', () =>
      costByGroup(deps.db, {
        from: new Date(0),
        to: new Date(Date.now() + 86_400_000),
        groupBy: 'nodeClass',
        prices,
        ordered: false,
      }),
    ),
  ]);
  return { attempts, runsStarted, runsEnded, nodeClasses, cost, up };
}

/** How long a scrape waits for Temporal's answers. */
const TEMPORAL_DEADLINE_MS = 3000;

function withTemporalDeadline<T>(deps: ApiDeps, fn: () => Promise<T>): Promise<T> {
  return deps.client.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, fn);
}
