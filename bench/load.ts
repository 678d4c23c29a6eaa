import autocannon, { type Options, type Result } from 'autocannon';
import http from 'node:http';
import { loadavg } from 'node:os';
import { measureArgon2Rate } from './argon2-rate.js';
import { startBare } from './bare.js';
import { benchDatabase } from './database.js';
import { createFixtures, loginFamilies, loginForm, type Fixtures } from './fixtures.js';
import { table } from './measure.js';
import { watchProcess, type ProcessUsage } from './monitor.js';
import { build, startLatchkey, type ChildServer } from './server.js';

const SECONDS = 8;
const WARM_UP_SECONDS = 2;
const CONNECTIONS = 50;
const LOGIN_CONNECTIONS = 8;
const RSS_LIMIT_MIB = 200;
const HEALTHZ_P99_LIMIT_MS = 50;
const FORM = 'application/x-www-form-urlencoded';
let bareUrl = '';

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  /** Responses other than the expected status (200; 303 for a successful POST /login). */
  unexpected: number;
  total: number;
  usage: ProcessUsage;
  /** V8 heap of the server right after the run (its /metrics), MiB; undefined for the bare server. */
  heapMiB?: { total: number; used: number };
}

/** latchkey_nodejs_heap_size_{total,used}_bytes from the server's /metrics. */
async function serverHeap(url: string): Promise<{ total: number; used: number } | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^latchkey_nodejs_heap_size_${name}_bytes (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return { total: read('total'), used: read('used') };
}

/** One autocannon run of `seconds` while the server process's RSS and CPU are sampled. */
async function load(server: ChildServer, options: Omit<Options, 'url'> & { path: string; expect?: number; seconds?: number; warmUp?: boolean }): Promise<Measured> {
  const { path, expect = 200, seconds = SECONDS, warmUp = false, ...rest } = options;
  const run = (duration: number) => autocannon({ connections: CONNECTIONS, ...rest, url: `${server.url}${path}`, duration, timeout: 10 });
  if (warmUp) await run(WARM_UP_SECONDS);
  const watch = watchProcess(server.pid);
  const result: Result = await run(seconds);
  const usage = watch.stop();
  const heapMiB = server.url === bareUrl ? undefined : await serverHeap(server.url);
  const expected = result.statusCodeStats[String(expect)]?.count ?? 0;
  const total = result.requests.total;
  return {
    rps: total / (result.duration || seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    unexpected: total - expected + result.errors + result.timeouts,
    total,
    usage,
    heapMiB,
  };
}

/** GET /healthz every 20 ms on one kept-alive connection; latencies in ms. */
function sampleHealthz(url: string): { stop(): Promise<number[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      http
        .get(`${url}/healthz`, { agent }, (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - started);
            resolve();
          });
        })
        .on('error', () => resolve());
    });
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await once();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20 - (performance.now() - started))));
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

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function expectStatus(response: Promise<Response>, status: number, what: string): Promise<Response> {
  const answered = await response;
  if (answered.status !== status) throw new Error(`${what}: expected ${status}, got ${answered.status} ${await answered.text()}`);
  return answered;
}

interface Row {
  scenario: string;
  measured: Measured;
  /** Share of the baseline (bare or argon2) this scenario must reach, and which baseline. */
  target?: { min: number; of: 'bare' | 'argon2' };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const pct = (ratio: number) => `${fmt(ratio * 100)} %`;

export interface LoadOptions {
  /** Substring of the scenario names to run (the bare ceiling always runs). */
  only?: string;
  /** Directory for `node --cpu-prof` profiles of the Latchkey server. */
  cpuProfDir?: string;
}

/**
 * The issue-7 table: the bare Fastify ceiling, then each Latchkey scenario against a compiled
 * `latchkey serve` on Postgres, each bounded in time.
 */
export async function loadScenarios(options: LoadOptions = {}): Promise<void> {
  const wanted = (name: string) => !options.only || name.includes(options.only);
  console.log(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  await build();
  const rows: Row[] = [];

  const bare = await startBare();
  bareUrl = bare.url;
  let bareRps: number;
  try {
    const measured = await load(bare, { path: '/echo', method: 'POST', headers: { 'content-type': FORM }, body: 'grant_type=client_credentials&scope=api.read', warmUp: true });
    bareRps = measured.rps;
    rows.push({ scenario: 'bare Fastify POST /echo (ceiling)', measured });
  } finally {
    await bare.stop();
  }

  const database = await benchDatabase();
  let server: ChildServer | undefined;
  let argon2: Awaited<ReturnType<typeof measureArgon2Rate>> | undefined;
  let healthz: number[] = [];
  try {
    const fixtures: Fixtures = await createFixtures(database.url);
    server = await startLatchkey(database.url, { cpuProfDir: options.cpuProfDir });
    const issuer = server.url;
    const { service, web, resourceServer } = fixtures;

    if (wanted('client_credentials')) {
      const request = { method: 'POST', headers: { 'content-type': FORM, authorization: service.basic }, body: 'grant_type=client_credentials' };
      await expectStatus(fetch(`${issuer}/token`, request), 200, 'client_credentials');
      rows.push({ scenario: 'client_credentials POST /token', measured: await load(server, { path: '/token', ...request, warmUp: true }), target: { min: 0.4, of: 'bare' } });
    }

    if (wanted('jwks')) {
      rows.push({ scenario: 'GET /.well-known/jwks.json', measured: await load(server, { path: '/.well-known/jwks.json', warmUp: true }), target: { min: 0.8, of: 'bare' } });
      const etag = (await fetch(`${issuer}/.well-known/jwks.json`)).headers.get('etag') ?? '';
      rows.push({ scenario: 'GET /.well-known/jwks.json (304)', measured: await load(server, { path: '/.well-known/jwks.json', headers: { 'if-none-match': etag }, expect: 304, seconds: 4 }) });
    }

    const needsFamilies = wanted('introspect') || wanted('refresh');
    const families = needsFamilies ? await loginFamilies(issuer, web, wanted('refresh') ? CONNECTIONS + 10 : 1) : [];

    if (wanted('introspect')) {
      const request = { method: 'POST', headers: { 'content-type': FORM, authorization: resourceServer.basic }, body: new URLSearchParams({ token: families[0]!.access_token }).toString() };
      const answer = (await (await expectStatus(fetch(`${issuer}/introspect`, request), 200, 'introspect')).json()) as { active: boolean };
      if (!answer.active) throw new Error('introspect: the access token is not active');
      rows.push({ scenario: 'POST /introspect (valid access token)', measured: await load(server, { path: '/introspect', ...request, warmUp: true }), target: { min: 0.3, of: 'bare' } });
    }

    if (wanted('refresh')) {
      // Every request presents a never-used refresh token: each connection takes a token from the
      // pool, and the successor in the answer goes back into it (one family per connection, plus
      // spares). An exhausted pool sends a token that does not exist (counted as unexpected).
      const pool = families.map((set) => set.refresh_token!);
      const headers = { 'content-type': FORM, authorization: web.basic };
      const measured = await load(server, {
        path: '/token',
        requests: [
          {
            method: 'POST',
            path: '/token',
            headers,
            setupRequest: (request) => ({ ...request, body: `grant_type=refresh_token&refresh_token=${pool.pop() ?? 'lk_rt_exhausted'}` }),
            onResponse: (status, body) => {
              if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
            },
          },
        ],
      });
      rows.push({ scenario: 'refresh_token POST /token (rotation)', measured, target: { min: 0.15, of: 'bare' } });
    }

    if (wanted('login')) {
      argon2 = await measureArgon2Rate();
      const form = await loginForm(issuer, web);
      const request = { method: 'POST', headers: { 'content-type': FORM, cookie: form.cookie }, body: form.body };
      await expectStatus(fetch(`${issuer}/login`, { ...request, redirect: 'manual' }), 303, 'login');
      const sampler = sampleHealthz(issuer);
      const measured = await load(server, { path: '/login', ...request, connections: LOGIN_CONNECTIONS, expect: 303 });
      healthz = await sampler.stop();
      rows.push({ scenario: `POST /login (${LOGIN_CONNECTIONS} connections)`, measured, target: { min: 0.8, of: 'argon2' } });
    }
  } finally {
    // Let the server finish what the load generator left in flight before it closes its pool.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server?.stop();
    await database.drop();
  }

  let failed = false;
  table(
    rows.map(({ scenario, measured: m, target }) => {
      const base = target?.of === 'argon2' ? argon2!.hashesPerSecond : bareRps;
      const ratio = m.rps / base;
      const rssOk = m.usage.peakRssMiB < RSS_LIMIT_MIB;
      const met = target ? ratio >= target.min : true;
      if (m.unexpected > Math.max(10, m.total * 0.01)) {
        failed = true;
        console.error(`!! ${scenario}: ${m.unexpected} unexpected responses out of ${m.total}`);
      }
      return {
        scenario,
        'req/s': fmt(m.rps),
        'p50 ms': fmt(m.p50, 1),
        'p99 ms': fmt(m.p99, 1),
        'non-2xx*': m.unexpected,
        'vs bare': pct(m.rps / bareRps),
        'peak RSS MB': fmt(m.usage.peakRssMiB, 1),
        'heap MB': m.heapMiB ? `${fmt(m.heapMiB.used)}/${fmt(m.heapMiB.total)}` : '-',
        'CPU srv/pg/gen': `${fmt(m.usage.cores * 100)}/${fmt(m.usage.postgresCores * 100)}/${fmt(m.usage.loadGeneratorCores * 100)} %`,
        target: target ? `>= ${pct(target.min)} ${target.of === 'argon2' ? 'argon2 rate' : 'bare'}` : '-',
        'met?': `${target ? `${met ? 'yes' : 'NO'} (${pct(ratio)})` : '-'}${rssOk ? '' : ', RSS NO'}`,
      };
    }),
  );
  console.log('heap MB: V8 heap used/total of the server right after the scenario (its /metrics)');
  console.log('CPU srv/pg/gen: CPU time per second of the server process, all Postgres processes, and the load generator (100 % = one core of 2)');
  console.log(`* responses other than the expected status (200; 304 for If-None-Match; 303 for a successful login), plus socket errors and timeouts`);
  console.log(`peak RSS target < ${RSS_LIMIT_MIB} MB in every scenario: ${rows.every((r) => r.measured.usage.peakRssMiB < RSS_LIMIT_MIB) ? 'met' : 'NOT met'}`);
  if (argon2) {
    const rates = Object.entries(argon2.byConcurrency).map(([c, r]) => `${fmt(r, 1)}/s with ${c} in flight`);
    console.log(`argon2id (m=19456, t=2, p=1) in parallel on this machine: ${fmt(argon2.hashesPerSecond, 1)} hashes/s (${rates.join(', ')})`);
  }
  if (healthz.length) {
    const p99 = percentile(healthz, 99);
    console.log(
      `GET /healthz during the login load: ${healthz.length} samples, p50 ${fmt(percentile(healthz, 50), 1)} ms, p99 ${fmt(p99, 1)} ms, max ${fmt(Math.max(...healthz), 1)} ms` +
        ` (target p99 < ${HEALTHZ_P99_LIMIT_MS} ms: ${p99 < HEALTHZ_P99_LIMIT_MS ? 'met' : 'NOT met'})`,
    );
  }
  console.log(`load average at end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  if (failed) process.exitCode = 1;
}
