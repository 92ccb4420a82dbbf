/**
 * Prometheus metrics about the work, computed at scrape time from PostgreSQL and Temporal: runs started and ended,
 * task attempts by node class and outcome, attempt duration and queue wait histograms, backlog, workers, slots and
 * cost per class. Labels are bounded: node class, run kind, status and outcome, never a run, task or worker.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../config/logger';
import { DURATION_BUCKETS_S, QUEUE_WAIT_BUCKETS_S, type HistogramCounts } from '../../db/stores/attempt-metrics';
import type { ApiDeps } from '../services/deps';
import { histogramSamples, registerScrapeMetric, type Sample } from './scrape-metric';
import { SOURCE_NAMES, workSnapshotReader, type WorkSnapshot } from './work-snapshot';

/** Registers the work metrics on `registry`; reads are shared by the metrics of one scrape and cached briefly. */
export function registerWorkMetrics(registry: Registry, deps: ApiDeps, logger?: Logger): void {
  const errors = new Counter({
    name: 'capstan_metrics_source_errors_total',
    help: 'Reads of a metrics source (PostgreSQL or Temporal) that failed at scrape time, in this API process.',
    labelNames: ['source'] as const,
    registers: [registry],
    // Read after this scrape's sources, so a failure shows in the same scrape.
    collect: () => snapshot().then(() => undefined),
  });
  for (const source of SOURCE_NAMES) errors.inc({ source }, 0);
  const snapshot = workSnapshotReader(deps, (source, err) => {
    errors.inc({ source });
    logger?.warn({ source, err: err.message }, 'metrics source unavailable; its metrics are left out of this scrape');
  });
  const up = new Gauge({
    name: 'capstan_metrics_source_up',
    help: 'Whether the last read of a metrics source succeeded (1) or failed (0).',
    labelNames: ['source'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      for (const source of SOURCE_NAMES) this.set({ source }, snap.up[source] ? 1 : 0);
    },
  });
  void up;
  const classNames = deps.nodeClasses.map((c) => c.name);
  const metric = (
    name: string,
    type: 'counter' | 'gauge' | 'histogram',
    help: string,
    samples: (snap: WorkSnapshot) => Sample[],
  ) => registerScrapeMetric(registry, { name, type, help, samples: async () => samples(await snapshot()) });

  metric(
    'capstan_runs_started_total',
    'counter',
    'Runs started, by kind (every API process reads the same figure).',
    (s) => [...(s.runsStarted ?? [])].map(([kind, value]) => ({ labels: { kind }, value })),
  );
  metric(
    'capstan_runs_ended_total',
    'counter',
    'Runs ended, by kind and status, as Temporal visibility recorded them (tallied about 15 s after they close).',
    (s) => (s.runsEnded ?? []).map((r) => ({ labels: { kind: r.kind, status: r.status }, value: r.count })),
  );
  metric('capstan_task_attempts_total', 'counter', 'Ended task attempts, by node class and outcome.', (s) =>
    (s.attempts ?? [])
      .filter((g) => g.outcome !== 'running')
      .map((g) => ({ labels: { node_class: g.nodeClass, outcome: g.outcome }, value: g.attempts })),
  );
  metric('capstan_task_attempts_running', 'gauge', 'Task attempts running now, by node class.', (s) =>
    s.attempts === undefined
      ? []
      : perClass(
          classNames,
          s.attempts.map((g) => g.nodeClass),
        ).map((nodeClass) => ({
          labels: { node_class: nodeClass },
          value: s.attempts!.find((g) => g.nodeClass === nodeClass && g.outcome === 'running')?.attempts ?? 0,
        })),
  );
  metric('capstan_task_attempt_duration_seconds', 'histogram', 'Duration of ended task attempts, by node class.', (s) =>
    histograms(classNames, s, (g) => (g.outcome === 'running' ? undefined : g.duration), DURATION_BUCKETS_S),
  );
  metric(
    'capstan_task_queue_wait_seconds',
    'histogram',
    'Time task attempts waited in their node class queue, from scheduling to a worker starting them.',
    (s) => histograms(classNames, s, (g) => g.queueWait, QUEUE_WAIT_BUCKETS_S),
  );
  const perView = (
    name: string,
    help: string,
    value: (v: NonNullable<WorkSnapshot['nodeClasses']>[number]) => number | undefined,
  ) =>
    metric(name, 'gauge', help, (s) =>
      (s.nodeClasses ?? []).flatMap((v) => {
        const x = value(v);
        return x === undefined ? [] : [{ labels: { node_class: v.name }, value: x }];
      }),
    );
  perView(
    'capstan_node_class_backlog_tasks',
    'Tasks waiting in the node class queue for a worker (Temporal task-queue statistics, approximate).',
    (v) => v.backlog?.tasks,
  );
  perView(
    'capstan_node_class_oldest_wait_seconds',
    'Age of the oldest task waiting in the node class queue (Temporal task-queue statistics).',
    (v) => v.backlog?.oldestWaitSeconds,
  );
  perView('capstan_node_class_live_workers', 'Workers polling the node class queue now.', (v) => v.liveWorkers);
  metric('capstan_node_class_slots', 'gauge', 'Slots of the live workers of a node class, busy or free.', (s) =>
    (s.nodeClasses ?? []).flatMap((v) => [
      { labels: { node_class: v.name, state: 'busy' }, value: v.busySlots },
      { labels: { node_class: v.name, state: 'free' }, value: Math.max(0, v.capacity - v.busySlots) },
    ]),
  );
  metric(
    'capstan_node_class_cost_dollars_total',
    'counter',
    'Cost to date of ended attempts per node class: duration × the class price per hour, as the cost API computes it.',
    (s) =>
      s.cost === undefined
        ? []
        : perClass(
            classNames,
            s.cost.map((r) => r.key),
          ).map((nodeClass) => ({
            labels: { node_class: nodeClass },
            value: (s.cost!.find((r) => r.key === nodeClass)?.totalMicros ?? 0) / 1e6,
          })),
  );
}

/** Configured classes first (so an idle class still has a series), then any class only the ledger knows. */
function perClass(configured: string[], seen: string[]): string[] {
  return [...new Set([...configured, ...seen])];
}

/** One histogram per node class, summing the groups of each class that `pick` selects. */
function histograms(
  classNames: string[],
  snap: WorkSnapshot,
  pick: (g: NonNullable<WorkSnapshot['attempts']>[number]) => HistogramCounts | undefined,
  bounds: readonly number[],
): Sample[] {
  if (snap.attempts === undefined) return [];
  const groups = snap.attempts;
  return perClass(
    classNames,
    groups.map((g) => g.nodeClass),
  ).flatMap((nodeClass) => {
    const total: HistogramCounts = { buckets: bounds.map(() => 0), count: 0, sumSeconds: 0 };
    for (const g of groups) {
      const h = g.nodeClass === nodeClass ? pick(g) : undefined;
      if (!h) continue;
      h.buckets.forEach((n, i) => (total.buckets[i]! += n));
      total.count += h.count;
      total.sumSeconds += h.sumSeconds;
    }
    return histogramSamples({ node_class: nodeClass }, bounds, total);
  });
}
