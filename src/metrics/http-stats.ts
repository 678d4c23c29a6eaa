import { Counter, type Registry } from 'prom-client';

type Labels = Record<string, string | number>;

interface StatusCount {
  labels: { method: string; route: string; status: string };
  count: number;
}

interface Series {
  labels: { method: string; route: string };
  statuses: Map<number, StatusCount>;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * Response counts and latencies per route and method, kept as plain numbers on the request path
 * (a map lookup and a few additions) and handed to prom-client only when /metrics is scraped:
 * prom-client's own inc() and observe() hash and validate their labels on every call.
 */
export class HttpStats {
  private readonly series = new Map<string, Series>();
  /** In the order first seen, as prom-client lists a counter's samples. */
  private readonly statusCounts: StatusCount[] = [];

  constructor(readonly buckets: readonly number[]) {}

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { method, route }, statuses: new Map(), buckets: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    let statusCount = series.statuses.get(status);
    if (!statusCount) {
      statusCount = { labels: { method, route, status: String(status) }, count: 0 };
      series.statuses.set(status, statusCount);
      this.statusCounts.push(statusCount);
    }
    statusCount.count++;
    let bucket = 0;
    while (bucket < this.buckets.length && seconds > this.buckets[bucket]!) bucket++;
    series.buckets[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  requestCounts(): readonly StatusCount[] {
    return this.statusCounts;
  }

  /** The samples of the histogram, exactly as prom-client's Histogram lists them. */
  durationSamples(name: string): { labels: Labels; value: number; metricName: string }[] {
    const samples: { labels: Labels; value: number; metricName: string }[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, index) => {
        cumulative += series.buckets[index]!;
        samples.push({ labels: { le, ...series.labels }, value: cumulative, metricName: `${name}_bucket` });
      });
      samples.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${name}_bucket` });
      samples.push({ labels: { ...series.labels }, value: series.sum, metricName: `${name}_sum` });
      samples.push({ labels: { ...series.labels }, value: series.count, metricName: `${name}_count` });
    }
    return samples;
  }
}

/**
 * latchkey_http_requests_total and latchkey_http_request_duration_seconds in `registry`, read
 * from `stats` at scrape time. The counter is a prom-client Counter filled by its collect(); the
 * histogram has no API to take pre-counted buckets, so it is a metric object of its own that the
 * registry renders like any other (same text: test/unit/http-stats.test.ts compares it with a
 * prom-client Histogram given the same observations).
 */
export function registerHttpMetrics(registry: Registry, stats: HttpStats): void {
  new Counter({
    name: 'latchkey_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, count } of stats.requestCounts()) this.inc(labels, count);
    },
  });
  const name = 'latchkey_http_request_duration_seconds';
  const histogram = {
    name,
    help: 'HTTP request latency by route and method',
    type: 'histogram',
    aggregator: 'sum',
    labelNames: ['method', 'route'],
    get: async () => ({ name, help: histogram.help, type: histogram.type, aggregator: histogram.aggregator, values: stats.durationSamples(name) }),
    reset: () => undefined,
  };
  registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0]);
}
