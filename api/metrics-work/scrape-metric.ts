/**
 * A Prometheus metric whose samples are computed at scrape time from shared state (PostgreSQL, Temporal) rather
 * than counted in this process, so every API process behind one address exposes the same figures.
 */
import type { Metric, Registry } from 'prom-client';

/** One sample: `suffix` is appended to the metric name (`_bucket`, `_sum`, `_count` of a histogram). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
  suffix?: string;
}

/** What a scrape metric is: its name, type, help and how it reads its samples. */
export interface ScrapeMetricSpec {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: () => Promise<Sample[]>;
}

/** Registers a metric that prom-client's registry asks for its samples at each scrape. */
export function registerScrapeMetric(registry: Registry, spec: ScrapeMetricSpec): void {
  const metric = {
    name: spec.name,
    help: spec.help,
    type: spec.type,
    aggregator: 'sum',
    // The registry calls get() for the text format and for JSON; reset() when asked to reset every metric.
    get: async () => ({
      name: spec.name,
      help: spec.help,
      type: spec.type,
      aggregator: 'sum',
      values: (await spec.samples()).map((s) => ({
        labels: s.labels,
        value: s.value,
        ...(s.suffix ? { metricName: `${spec.name}${s.suffix}` } : {}),
      })),
    }),
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** The samples of one histogram series from cumulative bucket counts (as Prometheus's text format wants them). */
export function histogramSamples(
  labels: Record<string, string>,
  bounds: readonly number[],
  counts: { buckets: number[]; count: number; sumSeconds: number },
): Sample[] {
  return [
    ...bounds.map((bound, i) => ({
      labels: { ...labels, le: String(bound) },
      value: counts.buckets[i] ?? 0,
      suffix: '_bucket',
    })),
    { labels: { ...labels, le: '+Inf' }, value: counts.count, suffix: '_bucket' },
    { labels, value: counts.sumSeconds, suffix: '_sum' },
    { labels, value: counts.count, suffix: '_count' },
  ];
}
