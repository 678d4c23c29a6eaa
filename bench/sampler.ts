import http from 'node:http';

/** One request every `everyMs` on one kept-alive connection; latencies in ms. */
export function sample(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, everyMs = 20): { stop(): Promise<number[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
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
  const loop = repeatEvery(everyMs, once);
  return {
    async stop() {
      await loop.stop();
      agent.destroy();
      return latencies;
    },
  };
}

/** Runs `once` again and again, starting one every `everyMs` (or as soon as the last ended), until stop(). */
export function repeatEvery(everyMs: number, once: () => Promise<void>): { stop(): Promise<void> } {
  let running = true;
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
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
