import http from 'node:http';

/** One request every `everyMs` on one kept-alive connection; latencies in ms. */
export function sample(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, everyMs = 20): { stop(): Promise<number[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const request = http.request(url, { agent, method: init.method ?? 'GET', headers: init.headers }, (response) => {
        response.resume();
        response.on('end', () => {
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      request.on('error', () => resolve());
      request.end(init.body);
    });
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await once();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, everyMs - (performance.now() - started))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      return latencies;
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
