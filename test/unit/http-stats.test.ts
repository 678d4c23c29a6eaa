import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpStats, registerHttpMetrics } from '../../src/metrics/http-stats.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What latchkey_http_* looked like when every response went through prom-client itself. */
function promClientReference() {
  const registry = new Registry();
  const requests = new Counter({ name: 'latchkey_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new Histogram({ name: 'latchkey_http_request_duration_seconds', help: 'HTTP request latency by route and method', labelNames: ['method', 'route'], buckets: BUCKETS, registers: [registry] });
  return {
    registry,
    record(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}

function counted() {
  const registry = new Registry();
  const stats = new HttpStats(BUCKETS);
  registerHttpMetrics(registry, stats);
  return { registry, record: stats.record.bind(stats) };
}

/** Interleaved routes and statuses, latencies on, between and beyond the bucket bounds. */
const RESPONSES: [string, string, number, number][] = [
  ['GET', '/.well-known/jwks.json', 200, 0.0004],
  ['POST', '/token', 200, 0.001],
  ['GET', '/.well-known/jwks.json', 304, 0.0010001],
  ['POST', '/token', 400, 0.0123],
  ['GET', 'unmatched', 404, 0],
  ['POST', '/token', 200, 2.5],
  ['POST', '/token', 429, 3.75],
  ['GET', '/admin/users/:id', 200, 0.1],
  ['GET', '/.well-known/jwks.json', 200, 0.26],
  ['HEAD', '/.well-known/jwks.json', 200, 0.0025],
  ['GET', '/odd "route" \\ with\nescapes', 500, 0.05],
];

describe('HTTP metrics counted in plain numbers', () => {
  it('render exactly what prom-client\'s Counter and Histogram rendered for the same responses, scrape after scrape', async () => {
    const reference = promClientReference();
    const subject = counted();
    for (const response of RESPONSES) {
      reference.record(...response);
      subject.record(...response);
    }
    const first = await subject.registry.metrics();
    expect(first).toBe(await reference.registry.metrics());
    expect(first).toContain('latchkey_http_requests_total{method="POST",route="/token",status="200"} 2');
    expect(first).toContain('latchkey_http_request_duration_seconds_bucket{le="0.001",method="POST",route="/token"} 1');
    expect(first).toContain('latchkey_http_request_duration_seconds_count{method="POST",route="/token"} 4');

    for (const response of RESPONSES.slice(0, 4)) {
      reference.record(...response);
      subject.record(...response);
    }
    expect(await subject.registry.metrics()).toBe(await reference.registry.metrics());
    expect(await subject.registry.metrics()).toBe(await reference.registry.metrics());
  });

  it('render nothing but the HELP and TYPE lines before the first response, as prom-client did', async () => {
    expect(await counted().registry.metrics()).toBe(await promClientReference().registry.metrics());
  });
});
