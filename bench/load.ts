import autocannon, { type Options, type Result } from 'autocannon';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { aroundWindow, measureArgon2Rate, type Argon2Rate, type Argon2RateAround } from './argon2-rate.js';
import { startBare } from './bare.js';
import { benchDatabase } from './database.js';
import { createFixtures, loginFamilies, loginForm, type Client, type Fixtures } from './fixtures.js';
import { table } from './measure.js';
import { percentile, sample } from './sampler.js';
import { watchProcess, type ProcessUsage } from './monitor.js';
import { PEER_RESOURCE, startPeer, type PeerServer } from './peer.js';
import { build, startLatchkey, type ChildServer } from './server.js';
import { basicAuth } from '../test/helpers/flow.js';
import { dpopProofs } from './dpop-proofs.js';

const SECONDS = 8;
const WARM_UP_SECONDS = 2;
/**
 * Logins are warmed up longer, so that the window measures the server in its steady state, as
 * the other scenarios' 2 s do. V8 optimizes a function after roughly a thousand calls; at 80 to
 * 100 logins a second, an 8 s window alone (about 700 logins, the bench until 2026-12-05) ran
 * the login's own code in V8's baseline tier, at 2.0 to 2.6 ms of event loop per login against
 * 1.3 to 1.7 ms once optimized (perf and `--interrupt-budget` runs, README "Performance"). The
 * warm-up's memory counts: the scenario's peak RSS covers it.
 */
const LOGIN_WARM_UP_SECONDS = 20;
const CONNECTIONS = 50;
const LOGIN_CONNECTIONS = 8;
const RSS_LIMIT_MIB = 200;
const HEALTHZ_P99_LIMIT_MS = 50;
/** Issue 12: peak RSS in every scenario, logins included. */
const ISSUE12_RSS_LIMIT_MIB = 160;
const FORM = 'application/x-www-form-urlencoded';
/** Servers without Latchkey's /metrics (the bare ceiling, the peer). */
const withoutMetrics = new Set<string>();

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

/**
 * One autocannon run of `seconds` while the server process's CPU is sampled, after a warm-up
 * (`true`: WARM_UP_SECONDS) that is not counted; its peak RSS covers the warm-up too.
 */
async function load(server: ChildServer, options: Omit<Options, 'url'> & { path: string; expect?: number; seconds?: number; warmUp?: boolean | number }): Promise<Measured> {
  const { path, expect = 200, seconds = SECONDS, warmUp = false, ...rest } = options;
  const run = (duration: number) => autocannon({ connections: CONNECTIONS, ...rest, url: `${server.url}${path}`, duration, timeout: 10 });
  const wholeRun = watchProcess(server.pid);
  if (warmUp) await run(warmUp === true ? WARM_UP_SECONDS : warmUp);
  const watch = watchProcess(server.pid);
  const result: Result = await run(seconds);
  const usage = { ...watch.stop(), peakRssMiB: wholeRun.stop().peakRssMiB };
  const heapMiB = withoutMetrics.has(server.url) ? undefined : await serverHeap(server.url);
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
  /** The scenario the peer also runs (its row in the Latchkey/peer table). */
  peer?: PeerScenario;
}

type PeerScenario = 'client_credentials' | 'jwks' | 'introspect' | 'refresh';

/** Issue 12's targets: Latchkey req/s as a multiple of the peer's (JWKS also as a share of bare). */
const PEER_TARGETS: Record<PeerScenario, { label: string; min: number; bareMin?: number }> = {
  client_credentials: { label: 'client_credentials POST /token', min: 2 },
  jwks: { label: 'GET JWKS', min: 2, bareMin: 0.8 },
  introspect: { label: 'introspection (Latchkey: its JWT; peer: its opaque token)', min: 1 },
  refresh: { label: 'refresh_token (rotation)', min: 0.8 },
};

/**
 * A fresh refresh token per request: each connection takes one from the pool, and the successor
 * in the answer goes back into it (one family per connection, plus spares). An exhausted pool
 * sends a token that does not exist (counted as unexpected).
 */
function refreshRequests(pool: string[], basic: string, dpop?: () => string): Options['requests'] {
  return [
    {
      method: 'POST',
      path: '/token',
      headers: { 'content-type': FORM, authorization: basic },
      setupRequest: (request) => ({
        ...request,
        ...(dpop ? { headers: { ...request.headers, dpop: dpop() } } : {}),
        body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(pool.pop() ?? 'lk_rt_exhausted')}`,
      }),
      onResponse: (status, body) => {
        if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
      },
    },
  ];
}

/** Client ids and secrets of the same shape as the CLI's, when the Latchkey scenarios did not run. */
function standInClients(): Record<keyof Fixtures, Client> {
  const client = (): Client => {
    const clientId = randomBytes(12).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    return { clientId, secret, basic: basicAuth(clientId, secret) };
  };
  return { service: client(), web: client(), resourceServer: client() };
}

/**
 * One of the peer's scenarios, with the same load settings as Latchkey's. Its in-memory adapter is
 * an LRU of 1 000 to 2 000 entries, so the tokens a scenario needs are made right before it.
 */
async function measurePeer(peer: PeerServer, key: PeerScenario, clients: Record<keyof Fixtures, Client>): Promise<Measured> {
  const { service, web, resourceServer } = clients;
  switch (key) {
    case 'client_credentials': {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: 'api.read api.write', resource: PEER_RESOURCE }).toString();
      const request = { method: 'POST', headers: { 'content-type': FORM, authorization: service.basic }, body };
      const answer = (await (await expectStatus(fetch(`${peer.url}/token`, request), 200, 'peer client_credentials')).json()) as { access_token: string };
      if (answer.access_token.split('.').length !== 3) throw new Error('peer client_credentials: the access token is not a JWT');
      return load(peer, { path: '/token', ...request, warmUp: true });
    }
    case 'jwks':
      await expectStatus(fetch(`${peer.url}/jwks`), 200, 'peer jwks');
      return load(peer, { path: '/jwks', warmUp: true });
    case 'introspect': {
      const [refreshToken] = await peer.refreshTokens(1);
      const refreshed = await expectStatus(
        fetch(`${peer.url}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization: web.basic }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken! }).toString() }),
        200,
        'peer refresh for an access token',
      );
      const accessToken = ((await refreshed.json()) as { access_token: string }).access_token;
      if (accessToken.includes('.')) throw new Error('peer introspection: the access token is not opaque');
      const request = { method: 'POST', headers: { 'content-type': FORM, authorization: resourceServer.basic }, body: new URLSearchParams({ token: accessToken }).toString() };
      const answer = (await (await expectStatus(fetch(`${peer.url}/token/introspection`, request), 200, 'peer introspection')).json()) as { active: boolean };
      if (!answer.active) throw new Error('peer introspection: the access token is not active');
      return load(peer, { path: '/token/introspection', ...request, warmUp: true });
    }
    case 'refresh': {
      const pool = await peer.refreshTokens(CONNECTIONS + 10);
      return load(peer, { path: '/token', requests: refreshRequests(pool, web.basic) });
    }
  }
}

async function stopPeer(peer: PeerServer): Promise<void> {
  // Let the peer finish what the load generator left in flight.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await peer.stop();
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const pct = (ratio: number) => `${fmt(ratio * 100)} %`;

export interface LoadOptions {
  /** Substring of the scenario names to run (the bare ceiling always runs); `peer`: the peer's only. */
  only?: string;
  /** Directory for `node --cpu-prof` profiles of the Latchkey server. */
  cpuProfDir?: string;
}

/**
 * The issue-7 table: the bare Fastify ceiling, then each Latchkey scenario against a compiled
 * `latchkey serve` on Postgres, each bounded in time; then the issue-12 table: the same hot paths
 * against node-oidc-provider 9 (bench/peer.ts) with the same load settings, each measured right
 * after Latchkey's, and each ratio.
 */
export async function loadScenarios(options: LoadOptions = {}): Promise<void> {
  const peerOnly = options.only === 'peer';
  const filters = options.only?.split(',');
  const matches = (name: string) => !filters || filters.some((filter) => name.includes(filter));
  const wanted = (name: string) => !peerOnly && matches(name);
  const peerWanted = (name: PeerScenario) => peerOnly || matches(name);
  console.log(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const rows: Row[] = [];
  const peerMeasured: Partial<Record<PeerScenario, Measured>> = {};

  const bare = await startBare();
  withoutMetrics.add(bare.url);
  let bareRps: number;
  try {
    const measured = await load(bare, { path: '/echo', method: 'POST', headers: { 'content-type': FORM }, body: 'grant_type=client_credentials&scope=api.read', warmUp: true });
    bareRps = measured.rps;
    rows.push({ scenario: 'bare Fastify POST /echo (ceiling)', measured });
  } finally {
    await bare.stop();
  }

  let argon2: Argon2RateAround | undefined;
  let healthz: number[] = [];
  if (!peerOnly) {
    await build();
    const database = await benchDatabase();
    let server: ChildServer | undefined;
    let peer: PeerServer | undefined;
    try {
      const fixtures: Fixtures = await createFixtures(database.url);
      server = await startLatchkey(database.url, { cpuProfDir: options.cpuProfDir });
      // The peer runs beside Latchkey (each idle while the other is measured), and each of its
      // scenarios right after Latchkey's: the machine's speed drifts by a fifth within minutes, and
      // a ratio of two figures measured minutes apart measured that drift.
      if ((Object.keys(PEER_TARGETS) as PeerScenario[]).some(peerWanted)) {
        peer = await startPeer(fixtures);
        withoutMetrics.add(peer.url);
      }
      const measurePeerNow = async (key: PeerScenario) => {
        if (peer && peerWanted(key)) peerMeasured[key] = await measurePeer(peer, key, fixtures);
      };
      const issuer = server.url;
      const { service, web, resourceServer } = fixtures;

      // `dpop` runs the DPoP scenarios with their unbound baselines, so the cost of binding is a
      // ratio within one run (on a shared machine, runs minutes apart are not comparable).
      const dpopWanted = wanted('dpop');
      const proof = dpopProofs();
      if (wanted('client_credentials') || dpopWanted) {
        const request = { method: 'POST', headers: { 'content-type': FORM, authorization: service.basic }, body: 'grant_type=client_credentials' };
        await expectStatus(fetch(`${issuer}/token`, request), 200, 'client_credentials');
        rows.push({ scenario: 'client_credentials POST /token', measured: await load(server, { path: '/token', ...request, warmUp: true }), target: { min: 0.4, of: 'bare' }, peer: 'client_credentials' });
        await measurePeerNow('client_credentials');
      }
      if (dpopWanted) {
        const request = { method: 'POST', headers: { 'content-type': FORM, authorization: service.basic }, body: 'grant_type=client_credentials' };
        const answered = await expectStatus(fetch(`${issuer}/token`, { ...request, headers: { ...request.headers, dpop: proof('POST', `${issuer}/token`) } }), 200, 'client_credentials with DPoP');
        if (((await answered.json()) as { token_type: string }).token_type !== 'DPoP') throw new Error('client_credentials with DPoP: the token is not DPoP-bound');
        const requests: Options['requests'] = [{ ...request, path: '/token', setupRequest: (r) => ({ ...r, headers: { ...r.headers, dpop: proof('POST', `${issuer}/token`) } }) }];
        rows.push({ scenario: 'client_credentials POST /token + DPoP proof', measured: await load(server, { path: '/token', requests, warmUp: true }) });
      }

      if (wanted('jwks')) {
        rows.push({ scenario: 'GET /.well-known/jwks.json', measured: await load(server, { path: '/.well-known/jwks.json', warmUp: true }), target: { min: 0.8, of: 'bare' }, peer: 'jwks' });
        await measurePeerNow('jwks');
        const etag = (await fetch(`${issuer}/.well-known/jwks.json`)).headers.get('etag') ?? '';
        rows.push({ scenario: 'GET /.well-known/jwks.json (304)', measured: await load(server, { path: '/.well-known/jwks.json', headers: { 'if-none-match': etag }, expect: 304, seconds: 4 }) });
      }

      const needsFamilies = wanted('introspect') || wanted('refresh') || dpopWanted;
      const families = needsFamilies ? await loginFamilies(issuer, web, wanted('refresh') || dpopWanted ? CONNECTIONS + 10 : 1) : [];

      if (wanted('introspect')) {
        const request = { method: 'POST', headers: { 'content-type': FORM, authorization: resourceServer.basic }, body: new URLSearchParams({ token: families[0]!.access_token }).toString() };
        const answer = (await (await expectStatus(fetch(`${issuer}/introspect`, request), 200, 'introspect')).json()) as { active: boolean };
        if (!answer.active) throw new Error('introspect: the access token is not active');
        rows.push({ scenario: 'POST /introspect (valid access token)', measured: await load(server, { path: '/introspect', ...request, warmUp: true }), target: { min: 0.3, of: 'bare' }, peer: 'introspect' });
        await measurePeerNow('introspect');
      }

      if (wanted('refresh') || dpopWanted) {
        // Every request presents a never-used refresh token (see refreshRequests).
        const pool = families.map((set) => set.refresh_token!);
        const measured = await load(server, { path: '/token', requests: refreshRequests(pool, web.basic) });
        rows.push({ scenario: 'refresh_token POST /token (rotation)', measured, target: { min: 0.15, of: 'bare' }, peer: 'refresh' });
        await measurePeerNow('refresh');
      }

      if (dpopWanted) {
        // Fresh families (the others' tokens were rotated away); a confidential client, so each
        // refresh binds its access token to the proof's key (RFC 9449 5: its family is not).
        const pool = (await loginFamilies(issuer, web, CONNECTIONS + 10)).map((set) => set.refresh_token!);
        const measured = await load(server, { path: '/token', requests: refreshRequests(pool, web.basic, () => proof('POST', `${issuer}/token`)) });
        rows.push({ scenario: 'refresh_token POST /token (rotation) + DPoP proof', measured });
      }

      if (wanted('login')) {
        const argon2Before = await measureArgon2Rate();
        const form = await loginForm(issuer, web);
        const request = { method: 'POST', headers: { 'content-type': FORM, cookie: form.cookie }, body: form.body };
        await expectStatus(fetch(`${issuer}/login`, { ...request, redirect: 'manual' }), 303, 'login');
        const sampler = sample(`${issuer}/healthz`);
        const measured = await load(server, { path: '/login', ...request, connections: LOGIN_CONNECTIONS, expect: 303, warmUp: LOGIN_WARM_UP_SECONDS });
        healthz = await sampler.stop();
        argon2 = aroundWindow(argon2Before, await measureArgon2Rate());
        rows.push({ scenario: `POST /login (${LOGIN_CONNECTIONS} connections)`, measured, target: { min: 0.9, of: 'argon2' } });
      }
    } finally {
      // Let the server finish what the load generator left in flight before it closes its pool.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await server?.stop();
      if (peer) await stopPeer(peer);
      await database.drop();
    }
  }

  if (peerOnly) {
    // The peer's scenarios alone, with clients of the same shape as Latchkey's fixtures.
    const clients = standInClients();
    const peer = await startPeer(clients);
    withoutMetrics.add(peer.url);
    try {
      for (const key of Object.keys(PEER_TARGETS) as PeerScenario[]) peerMeasured[key] = await measurePeer(peer, key, clients);
    } finally {
      await stopPeer(peer);
    }
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
  const latchkeyPeak = Math.max(...rows.slice(1).map((r) => r.measured.usage.peakRssMiB));
  if (rows.length > 1) console.log(`peak RSS target < ${ISSUE12_RSS_LIMIT_MIB} MB in every scenario, logins included (issue 12): Latchkey max ${fmt(latchkeyPeak, 1)} MB (${latchkeyPeak < ISSUE12_RSS_LIMIT_MIB ? 'met' : 'NOT met'})`);
  if (argon2) {
    const rates = (rate: Argon2Rate) => Object.entries(rate.byConcurrency).map(([c, r]) => `${fmt(r, 1)}/s with ${c} in flight`).join(', ');
    console.log(
      `argon2id (m=19456, t=2, p=1) in parallel on this machine: ${fmt(argon2.hashesPerSecond, 1)} hashes/s, the mean of ${fmt(argon2.before.hashesPerSecond, 1)} right before the logins (${rates(argon2.before)}) and ${fmt(argon2.after.hashesPerSecond, 1)} right after (${rates(argon2.after)})`,
    );
    const login = rows.find((row) => row.target?.of === 'argon2')?.measured;
    if (login) console.log(loginCpu(login, argon2.cpuMsPerHash));
  }
  if (healthz.length) {
    const p99 = percentile(healthz, 99);
    console.log(
      `GET /healthz during the login load: ${healthz.length} samples, p50 ${fmt(percentile(healthz, 50), 1)} ms, p99 ${fmt(p99, 1)} ms, max ${fmt(Math.max(...healthz), 1)} ms` +
        ` (target p99 < ${HEALTHZ_P99_LIMIT_MS} ms: ${p99 < HEALTHZ_P99_LIMIT_MS ? 'met' : 'NOT met'})`,
    );
  }
  if (Object.keys(peerMeasured).length) failed = peerTable(rows, peerMeasured, bareRps) || failed;
  dpopCost(rows);
  console.log(`load average at end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  if (failed) process.exitCode = 1;
}

/** The cost of DPoP binding: each DPoP scenario's throughput as a share of its unbound baseline in the same run. */
function dpopCost(rows: Row[]): void {
  for (const row of rows.filter((r) => r.scenario.endsWith(' + DPoP proof'))) {
    const baseline = rows.find((r) => r.scenario === row.scenario.replace(' + DPoP proof', ''))?.measured;
    if (!baseline) continue;
    const m = row.measured;
    console.log(
      `DPoP cost, ${row.scenario.replace(' + DPoP proof', '')}: ${fmt(m.rps)} req/s bound against ${fmt(baseline.rps)} unbound = ${pct(m.rps / baseline.rps)}` +
        ` (p50 ${fmt(m.p50, 1)} against ${fmt(baseline.p50, 1)} ms; server CPU per request ${fmt((m.usage.cores * m.usage.seconds * 1000) / m.total, 2)} against ${fmt((baseline.usage.cores * baseline.usage.seconds * 1000) / baseline.total, 2)} ms)`,
    );
  }
}

/**
 * What a login costs on the shared cores next to a bare hash: less noisy than the ratio of two
 * rates measured at different moments, and the ceiling of that ratio on this machine.
 */
function loginCpu(login: Measured, hashMs: number): string {
  const perLogin = (cores: number) => (cores * login.usage.seconds * 1000) / login.total;
  const server = perLogin(login.usage.cores);
  const postgres = perLogin(login.usage.postgresCores);
  const generator = perLogin(login.usage.loadGeneratorCores);
  const { eventLoop, lowered, other } = login.usage.threads;
  const ratio = hashMs / (server + postgres + generator);
  return (
    `CPU per login: server ${fmt(server, 1)} ms (event loop ${fmt(perLogin(eventLoop), 1)}, argon2 pool ${fmt(perLogin(lowered), 1)}, other threads ${fmt(perLogin(other), 1)}),` +
    ` Postgres ${fmt(postgres, 1)} ms, load generator ${fmt(generator, 1)} ms; a bare hash ${fmt(hashMs, 1)} ms:` +
    ` a login costs ${fmt(1 / ratio, 2)} hashes, so logins can reach about ${pct(ratio)} of the argon2 rate here`
  );
}

/** The issue-12 table: each hot path on Latchkey and on node-oidc-provider 9, and the ratio. */
function peerTable(rows: Row[], peerMeasured: Partial<Record<PeerScenario, Measured>>, bareRps: number): boolean {
  let failed = false;
  const peerRows = (Object.keys(PEER_TARGETS) as PeerScenario[]).flatMap((key) => {
    const peer = peerMeasured[key];
    if (!peer) return [];
    const { label, min, bareMin } = PEER_TARGETS[key];
    const latchkey = rows.find((row) => row.peer === key)?.measured;
    const ratio = latchkey ? latchkey.rps / peer.rps : NaN;
    if (peer.unexpected > Math.max(10, peer.total * 0.01)) {
      failed = true;
      console.error(`!! peer ${label}: ${peer.unexpected} unexpected responses out of ${peer.total}`);
    }
    const met = latchkey ? `${ratio >= min ? 'yes' : 'NO'}${bareMin === undefined ? '' : `; ${latchkey.rps / bareRps >= bareMin ? 'yes' : 'NO'} (${pct(latchkey.rps / bareRps)} bare)`}` : '-';
    return [
      {
        scenario: label,
        'Latchkey req/s': latchkey ? fmt(latchkey.rps) : '-',
        'peer req/s': fmt(peer.rps),
        'Latchkey/peer': latchkey ? `${fmt(ratio, 2)}x` : '-',
        'peer p50/p99 ms': `${fmt(peer.p50, 1)}/${fmt(peer.p99, 1)}`,
        'peer non-2xx*': peer.unexpected,
        'peer peak RSS MB': fmt(peer.usage.peakRssMiB, 1),
        'peer CPU srv/gen': `${fmt(peer.usage.cores * 100)}/${fmt(peer.usage.loadGeneratorCores * 100)} %`,
        'target (issue 12)': `>= ${min}x peer${bareMin === undefined ? '' : `, >= ${pct(bareMin)} bare`}`,
        'met?': met,
      },
    ];
  });
  console.log('\nLatchkey against node-oidc-provider 9.13.3 (bench/peer.ts: in-memory adapter, ES256, same clients, same load settings):');
  table(peerRows);
  const peak = (measured: Measured[]) => Math.max(...measured.map((m) => m.usage.peakRssMiB));
  const latchkeyRows = rows.slice(1); // rows[0] is the bare ceiling
  const latchkeyPeak = peak(latchkeyRows.map((row) => row.measured));
  const latchkeyRss = latchkeyRows.length ? `Latchkey max ${fmt(latchkeyPeak, 1)} MB (${latchkeyPeak < ISSUE12_RSS_LIMIT_MIB ? 'met' : 'NOT met'})` : 'Latchkey not run';
  console.log(`peak RSS target < ${ISSUE12_RSS_LIMIT_MIB} MB in every scenario (issue 12): ${latchkeyRss}; peer max ${fmt(peak(Object.values(peerMeasured)), 1)} MB`);
  return failed;
}
