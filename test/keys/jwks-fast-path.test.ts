import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateNow } from '../../src/keys/rotation.js';
import { rotationDeps } from '../../src/keys/setup.js';
import { testConfig } from '../helpers/config.js';
import { injectableApp, type InjectableApp } from '../unit/app.js';

const JWKS = '/.well-known/jwks.json';
const PER_REQUEST = new Set(['x-request-id', 'date']);

/** A real app on a socket, and the URLs of JWKS requests that reached Fastify's router. */
async function listening(overrides: Record<string, string> = {}): Promise<{ built: InjectableApp; url: string; routed: string[] }> {
  const routed: string[] = [];
  const countRouted = (app: FastifyInstance) =>
    app.addHook('onRequest', (request, _reply, done) => {
      if (request.routeOptions.url === JWKS) routed.push(`${request.method} ${request.url}`);
      done();
    });
  const built = await injectableApp(overrides, undefined, countRouted);
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  return { built, url: `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`, routed };
}

function stableHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => !PER_REQUEST.has(name)));
}

function httpRequestsTotal(metrics: string, status: number): number {
  const line = metrics.split('\n').find((row) => row.startsWith(`latchkey_http_requests_total{method="GET",route="${JWKS}",status="${status}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('JWKS answered before the router (FastPaths)', () => {
  let server: Awaited<ReturnType<typeof listening>>;
  beforeAll(async () => {
    server = await listening();
  });
  afterAll(async () => {
    await server?.built.close();
  });

  it('sends what the router sends, header for header, for every kind of request, without reaching the router', async () => {
    const etag = (await fetch(server.url + JWKS)).headers.get('etag')!;
    const requests: Record<string, string>[] = [
      {},
      { origin: 'https://rp.example' },
      { origin: 'null' },
      { origin: `https://${'a'.repeat(300)}.example` },
      { 'if-none-match': etag },
      { 'if-none-match': `W/${etag}` },
      { 'if-none-match': `"other", ${etag}` },
      { 'if-none-match': '*' },
      { 'if-none-match': '"stale"' },
      { origin: 'https://rp.example', 'if-none-match': etag },
    ];
    server.routed.length = 0;
    for (const headers of requests) {
      const early = await fetch(server.url + JWKS, { headers });
      const routed = await fetch(`${server.url}${JWKS}?via=router`, { headers });
      const what = JSON.stringify(headers);
      expect(early.status, what).toBe(routed.status);
      expect(await early.text(), what).toBe(await routed.text());
      expect(stableHeaders(early), what).toEqual(stableHeaders(routed));
      expect(early.headers.get('x-request-id'), what).toMatch(/^[0-9a-f-]{36}$/);
      expect(early.headers.get('x-request-id')).not.toBe(routed.headers.get('x-request-id'));
    }
    expect(server.routed).toEqual(requests.map(() => `GET ${JWKS}?via=router`));
    // The issuer is https here: the early answers carry HSTS as every other response does.
    expect((await fetch(server.url + JWKS)).headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  });

  it('counts its answers in /metrics under the route, as the router would', async () => {
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const etag = (await fetch(server.url + JWKS)).headers.get('etag')!;
    for (let i = 0; i < 3; i++) await fetch(server.url + JWKS, { headers: { 'if-none-match': etag } });
    const after = await (await fetch(`${server.url}/metrics`)).text();
    expect(httpRequestsTotal(after, 200) - httpRequestsTotal(before, 200)).toBe(1);
    expect(httpRequestsTotal(after, 304) - httpRequestsTotal(before, 304)).toBe(3);
  });

  it('leaves HEAD to the router, which answers it as before', async () => {
    server.routed.length = 0;
    const response = await fetch(server.url + JWKS, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toMatch(/^"[\w-]{43}"$/);
    expect(server.routed).toEqual([`HEAD ${JWKS}`]);
  });

  it('serves the new key set at once after a rotation', async () => {
    const before = await fetch(server.url + JWKS);
    const kids = ((await before.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    await rotateNow(rotationDeps(server.built.db, testConfig({ ISSUER: 'https://issuer.example' }), server.built.clock));
    await server.built.keys.reload();
    const after = await fetch(server.url + JWKS, { headers: { 'if-none-match': before.headers.get('etag')! } });
    expect(after.status).toBe(200);
    const newKids = ((await after.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    expect(newKids).toHaveLength(kids.length + 1);
    expect(newKids).toEqual(expect.arrayContaining(kids));
  });
});

describe('JWKS when every request is logged (LOG_LEVEL=info)', () => {
  it('goes through the router, so it has its access log lines like every route', async () => {
    const server = await listening({ LOG_LEVEL: 'info' });
    try {
      for (let i = 0; i < 2; i++) expect((await fetch(server.url + JWKS)).status).toBe(200);
      expect(server.routed).toEqual([`GET ${JWKS}`, `GET ${JWKS}`]);
    } finally {
      await server.built.close();
    }
  });
});
