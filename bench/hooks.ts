import autocannon from 'autocannon';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
 * `npx tsx bench/hooks.ts [SECONDS] [ROUNDS] [--inject-only | --load-only] [--against=DIR]`:
 * what each per-request hook of Latchkey costs on a bare Fastify route. Each variant is a Fastify
 * server with one hook (or all of them, as buildApp installs them) in front of GET /r, which
 * answers a pre-serialised JSON body as the JWKS route does.
 * - Load: the variant in a child process (as bench/bare.ts), autocannon with 50 connections for
 *   SECONDS (default 4) after a 1 s warm-up: req/s, and the server's CPU time per request (all
 *   its threads).
 * - Inject: the variant in a child process of its own driven by fastify.inject, one request at a
 *   time: the main thread's CPU time per request. No sockets and no load generator, so far
 *   steadier than the load figures on a shared machine (but light-my-request's own handling of
 *   response headers makes headers look dearer than on a socket).
 * The variants run ROUNDS times (default 3), interleaved; each figure is the best round
 * (interference only ever makes a run worse). A hook's cost is its variant's CPU per request
 * minus bare's, and as a share of bare's throughput 1 - bare / variant.
 * --against=DIR also runs every variant from another checkout (its own bench/hooks.ts and src/,
 * e.g. `git worktree add /tmp/before <commit>`), interleaved with this one: before and after.
 */

const ISSUER = 'https://login.example.test';
const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', ISSUER, KEY_ENCRYPTION_KEY: 'latchkey-benchmark-key-encryption-key-0123456789' });
const BODY = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'bench', alg: 'ES256', use: 'sig' }] });
/** The metrics plugin reads these only when /metrics is scraped, which the bench never does. */
const metricsDeps = { database: {} as DatabaseHandle, keys: {} as KeyRing, clock: systemClock, clients: {} as ClientCache, passwordHashes: () => ({ running: 0, queued: 0, reserved: 0, limit: 0, maxQueued: 0, started: 0, refused: {} }) };

interface Variant {
  options?: FastifyServerOptions;
  install?: (app: FastifyInstance) => void;
}

const VARIANTS: Record<string, Variant> = {
  bare: {},
  'request id (genReqId + x-request-id)': { options: { genReqId: generateRequestId, requestIdHeader: false }, install: installRequestIdHeader },
  'draining (onRequest, onSend, onResponse)': { install: installDraining },
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

/** CPU time of this process's main thread, in ns (Linux schedstat: time on a CPU, not waiting for one). */
function mainThreadCpuNs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
}

/** Prints the main thread's CPU µs per injected request: the cheapest of `chunks` chunks. */
async function inject(name: string, chunks: number, perChunk: number): Promise<void> {
  const app = variantApp(name);
  await app.ready();
  try {
    const once = async () => {
      const response = await app.inject({ method: 'GET', url: '/r' });
      if (response.statusCode !== 200) throw new Error(`${name}: ${response.statusCode}`);
    };
    for (let i = 0; i < 3000; i++) await once();
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

interface Checkout {
  label: string;
  /** Its bench/hooks.ts, which runs the variants with its own src/. */
  script: string;
}

async function loadRun(checkout: Checkout, name: string, seconds: number): Promise<{ rps: number; cpu: number }> {
  const port = await freePort();
  const server = await startChild(['--import', 'tsx', checkout.script, 'serve', name], { NODE_ENV: 'production' }, port);
  try {
    const run = (duration: number) => autocannon({ url: `${server.url}/r`, connections: 50, duration, timeout: 10 });
    await run(1);
    const watch = watchProcess(server.pid);
    const result = await run(seconds);
    const usage = watch.stop();
    const ok = result.statusCodeStats['200']?.count ?? 0;
    if (ok !== result.requests.total || result.errors) throw new Error(`${name}: ${result.requests.total - ok} non-200, ${result.errors} errors`);
    const rps = result.requests.total / result.duration;
    return { rps, cpu: (usage.cores * 1e6) / rps };
  } finally {
    await server.stop();
  }
}

async function injectRun(checkout: Checkout, name: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', checkout.script, 'inject', name], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' } });
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { micros: number }).micros;
}

interface Figures {
  rps: number[];
  /** Server CPU µs per request under load. */
  cpu: number[];
  /** Main-thread CPU µs per injected request. */
  inject: number[];
}

async function main(seconds: number, rounds: number, modes: { load: boolean; inject: boolean }, checkouts: Checkout[]): Promise<void> {
  console.log(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const names = Object.keys(VARIANTS);
  const figures = new Map<string, Figures>();
  const of = (checkout: Checkout, name: string) => {
    const key = `${checkout.label}\u0000${name}`;
    if (!figures.has(key)) figures.set(key, { rps: [], cpu: [], inject: [] });
    return figures.get(key)!;
  };
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      for (const checkout of checkouts) {
        const f = of(checkout, name);
        if (modes.load) {
          const { rps, cpu } = await loadRun(checkout, name, seconds);
          f.rps.push(rps);
          f.cpu.push(cpu);
        }
        if (modes.inject) f.inject.push(await injectRun(checkout, name));
      }
    }
  }
  const max = (values: number[]) => (values.length ? Math.max(...values) : NaN);
  const min = (values: number[]) => (values.length ? Math.min(...values) : NaN);
  const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
  const share = (bare: number, variant: number) => (Number.isFinite(bare / variant) ? `${fmt((1 - bare / variant) * 100, 0)} %` : '-');
  table(
    checkouts.flatMap((checkout) => {
      const bare = of(checkout, 'bare');
      return names.map((name) => {
        const f = of(checkout, name);
        const isBare = name === 'bare';
        return {
          ...(checkouts.length > 1 ? { checkout: checkout.label } : {}),
          variant: name,
          'req/s': fmt(max(f.rps), 0),
          'vs bare': Number.isFinite(max(f.rps)) ? `${fmt((max(f.rps) / max(bare.rps)) * 100, 0)} %` : '-',
          'CPU µs/req (load)': fmt(min(f.cpu)),
          'hook µs (load)': isBare ? '-' : fmt(min(f.cpu) - min(bare.cpu)),
          'CPU µs/req (inject)': fmt(min(f.inject)),
          'hook µs (inject)': isBare ? '-' : fmt(min(f.inject) - min(bare.inject)),
          'hook share of bare throughput (inject)': isBare ? '-' : share(min(bare.inject), min(f.inject)),
        };
      });
    }),
  );
  console.log(`load average at end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
}

if (process.argv[2] === 'serve') await serve(process.argv[3]!);
else if (process.argv[2] === 'inject') await inject(process.argv[3]!, 30, 1000);
else {
  const args = process.argv.slice(2);
  const [seconds = '4', rounds = '3'] = args.filter((arg) => !arg.startsWith('--'));
  const against = args.find((arg) => arg.startsWith('--against='))?.slice('--against='.length);
  const checkouts: Checkout[] = [
    ...(against ? [{ label: `before (${against})`, script: resolve(against, 'bench/hooks.ts') }] : []),
    { label: against ? 'after (this checkout)' : 'this checkout', script: fileURLToPath(import.meta.url) },
  ];
  await main(Number(seconds), Number(rounds), { load: !args.includes('--inject-only'), inject: !args.includes('--load-only') }, checkouts);
}
