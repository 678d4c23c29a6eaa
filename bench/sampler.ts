import net from 'node:net';

/**
 * One request every `everyMs` on one kept-alive connection; latencies in ms. A bare socket with
 * the request written out, not node's http client: on the 2 shared cores the client cost the
 * login scenario about 2 ms of CPU per sample (3 to 4 ms per login at 50 samples a second, CPU
 * argon2 then lacks), a socket about half that. Responses must carry Content-Length, which every
 * answer of Fastify's and of the early JWKS path does; anything else stops the bench.
 */
export function sample(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, everyMs = 20): { stop(): Promise<number[]> } {
  const target = new URL(url);
  const body = Buffer.from(init.body ?? '');
  const head = [
    `${init.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`,
    `host: ${target.host}`,
    ...Object.entries(init.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    ...(body.length > 0 ? [`content-length: ${body.length}`] : []),
  ].join('\r\n');
  const request = Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]);
  const latencies: number[] = [];
  const connection = new SampleConnection(Number(target.port || 80), target.hostname);
  const once = async () => {
    const started = performance.now();
    if (await connection.exchange(request)) latencies.push(performance.now() - started);
  };
  const loop = repeatEvery(everyMs, once);
  return {
    async stop() {
      await loop.stop();
      connection.close();
      return latencies;
    },
  };
}

/** One kept-alive connection, one request at a time; reconnects after an error. */
class SampleConnection {
  private socket: net.Socket | undefined;
  private received: Buffer = Buffer.alloc(0);
  private answered: ((ok: boolean) => void) | undefined;

  constructor(
    private readonly port: number,
    private readonly host: string,
  ) {}

  /** Sends `request`; true once a whole response has arrived, false on a socket error. */
  exchange(request: Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      this.answered = resolve;
      this.connected().write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private connected(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    const fail = () => {
      this.socket = undefined;
      this.received = Buffer.alloc(0);
      this.settle(false);
    };
    socket.on('error', fail);
    socket.on('close', fail);
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const headEnd = this.received.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const length = /\r\ncontent-length: *(\d+)/i.exec(this.received.subarray(0, headEnd).toString('latin1'));
    if (!length) throw new Error('sample: a response without Content-Length');
    const end = headEnd + 4 + Number(length[1]);
    if (this.received.length < end) return;
    this.received = this.received.subarray(end);
    this.settle(true);
  }

  private settle(ok: boolean): void {
    const answered = this.answered;
    this.answered = undefined;
    answered?.(ok);
  }
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
