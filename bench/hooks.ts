import autocannon from 'autocannon';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { fastifyOptions, installHttpHooks } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { installDraining } from '../src/http/draining.js';
import { installErrorHandling } from '../src/http/error-handler.js';
import { loggerOptions } from '../src/http/logger.js';
import { generateRequestId, installRequestIdHeader } from '../src/http/request-id.js';
import { installSecurityHeaders, securityHeaderOptions } from '../src/http/security-headers.js';
import type { ClientCache } from '../src/clients/cache.js';
import type { KeyRing } from '../src/keys/ring.js';
import { registerMetrics } from '../src/metrics/routes.js';
import { table } from './measure.js';
import { watchProcess } from './monitor.js';
import { freePort, ROOT, startChild } from './server.js';

/**
 * `npx tsx bench/hooks.ts [SECONDS] [ROUNDS] [--inject-only]`: what each per-request hook of
 * Latchkey costs on a bare Fastify route. Each variant is a Fastify server with one hook (or all
 * of them, as buildApp installs them) in front of GET /r, which answers a pre-serialised JSON
 * body as the JWKS route does.
 * - Load: the variant in a child process (as bench/bare.ts), autocannon with 50 connections for
 *   SECONDS (default 4) after a 1 s warm-up; req/s, share of the bare route's, and the server's
 *   CPU time per request (all its threads).
 * - Inject: the variant in a child process of its own driven by fastify.inject, one request at a
 *   time: the main thread's CPU time per request, no sockets and no load generator, so far
 *   steadier than the load figures on a shared machine.
 * The variants run ROUNDS times (default 3), interleaved; the table shows the best round of each
 * (interference only ever makes a run worse), and a hook's cost is its variant's minus bare.
 */

const ISSUER = 'https://login.example.test';
const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', ISSUER, KEY_ENCRYPTION_KEY: 'latchkey-benchmark-key-encryption-key-0123456789' });
const BODY = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'bench', alg: 'ES256', use: 'sig' }] });
/** The metrics plugin reads these only when /metrics is scraped, which the bench never does. */
const metricsDeps = { database: {} as DatabaseHandle, keys: {} as KeyRing, clock: systemClock, clients: {} as ClientCache, passwordHashes: () => ({ running: 0, queued: 0, limit: 0 }) };

interface Variant {
  options?: FastifyServerOptions;
  install?: (app: FastifyInstance) => void;
}

const VARIANTS: Record<string, Variant> = {
  bare: {},
  'request id (genReqId + x-request-id)': { options: { genReqId: generateRequestId, requestIdHeader: false }, install: installRequestIdHeader },
  'draining (onSend)': { install: installDraining },
  'metrics (onResponse)': { install: (app) => registerMetrics(app, metricsDeps) },
  'security headers (onRequest)': { install: (app) => installSecurityHeaders(app, securityHeaderOptions(ISSUER)) },
  'logger (LOG_LEVEL=warn)': { options: { logger: loggerOptions(config) } },
  'error handling': { install: installErrorHandling },
  'all (as buildApp)': { options: fastifyOptions(config), install: (app) => installHttpHooks(app, { config, ...metricsDeps }) },
};

function variantApp(name: string): FastifyInstance {
  const variant = VARIANTS[name];
  if (!variant) throw new Error(`unknown variant ${name}`);
  const app = Fastify({ logger: false, ...variant.options });
  variant.install?.(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/r', async (_request, reply) => reply.type('application/json').send(BODY));
  return app;
}

async function serve(name: string): Promise<void> {
  const app = variantApp(name);
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  const close = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

interface Sample {
  rps: number;
  cpuMicros: number;
}

async function measure(name: string, seconds: number): Promise<Sample> {
  const port = await freePort();
  const server = await startChild(['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', name], { NODE_ENV: 'production' }, port);
  try {
    const run = (duration: number) => autocannon({ url: `${server.url}/r`, connections: 50, duration, timeout: 10 });
    await run(1);
    const watch = watchProcess(server.pid);
    const result = await run(seconds);
    const usage = watch.stop();
    const ok = result.statusCodeStats['200']?.count ?? 0;
    if (ok !== result.requests.total || result.errors) throw new Error(`${name}: ${result.requests.total - ok} non-200, ${result.errors} errors`);
    const rps = result.requests.total / result.duration;
    return { rps, cpuMicros: (usage.cores * 1e6) / rps };
  } finally {
    await server.stop();
  }
}

/**
 * The same route through fastify.inject, one request at a time, in a process of its own (so no
 * variant's code warms another's): no sockets and no load generator, so far less noise on a
 * shared machine. Prints the CPU µs per request of the process.
 */
/** CPU time of this process's main thread, in ns (Linux schedstat: time on a CPU, not waiting for one). */
function mainThreadCpuNs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
}

async function injectMicros(name: string, chunks: number, perChunk: number): Promise<void> {
  const app = variantApp(name);
  await app.ready();
  try {
    const once = async () => {
      const response = await app.inject({ method: 'GET', url: '/r' });
      if (response.statusCode !== 200) throw new Error(`${name}: ${response.statusCode}`);
    };
    for (let i = 0; i < 3000; i++) await once();
    // The cheapest chunk: interference from other processes only ever adds to a chunk's time.
    let micros = Infinity;
    for (let chunk = 0; chunk < chunks; chunk++) {
      const start = mainThreadCpuNs();
      for (let i = 0; i < perChunk; i++) await once();
      micros = Math.min(micros, (mainThreadCpuNs() - start) / 1000 / perChunk);
    }
    console.log(JSON.stringify({ micros }));
  } finally {
    await app.close();
  }
}

async function injectedMicros(name: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'inject', name], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' } });
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { micros: number }).micros;
}

/** Interference on a shared machine only ever lowers throughput and raises CPU per request. */
const best = (values: number[], of: 'max' | 'min') => (of === 'max' ? Math.max(...values) : Math.min(...values));

async function main(seconds: number, rounds: number, injectOnly: boolean): Promise<void> {
  console.log(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const names = Object.keys(VARIANTS);
  const loads = new Map<string, Sample[]>(names.map((name) => [name, []]));
  const injected = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      if (!injectOnly) loads.get(name)!.push(await measure(name, seconds));
      injected.get(name)!.push(await injectedMicros(name));
    }
  }
  const fmt = (value: number | undefined, digits = 1) => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits));
  const summary = (name: string) => {
    const runs = loads.get(name)!;
    return {
      rps: runs.length ? best(runs.map((s) => s.rps), 'max') : undefined,
      cpu: runs.length ? best(runs.map((s) => s.cpuMicros), 'min') : undefined,
      inject: best(injected.get(name)!, 'min'),
    };
  };
  const bare = summary('bare');
  table(
    names.map((name) => {
      const { rps, cpu, inject } = summary(name);
      const isBare = name === 'bare';
      return {
        variant: name,
        'req/s': fmt(rps, 0),
        'vs bare': rps === undefined ? '-' : `${fmt((rps / bare.rps!) * 100, 0)} %`,
        'server CPU µs/req': fmt(cpu),
        'hook µs/req (load)': isBare || cpu === undefined ? '-' : fmt(cpu - bare.cpu!),
        'inject µs/req': fmt(inject),
        'hook µs/req (inject)': isBare ? '-' : fmt(inject - bare.inject),
        'req/s per run': loads.get(name)!.map((s) => Math.round(s.rps)).join(' / ') || '-',
      };
    }),
  );
  console.log(`load average at end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
}

if (process.argv[2] === 'serve') await serve(process.argv[3]!);
else if (process.argv[2] === 'inject') await injectMicros(process.argv[3]!, 30, 1000);
else {
  const [seconds = '4', rounds = '3'] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  await main(Number(seconds), Number(rounds), process.argv.includes('--inject-only'));
}
