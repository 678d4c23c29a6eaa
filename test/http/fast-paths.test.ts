import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FastPaths, type FastAnswer, type FastPathHost } from '../../src/http/fast-paths.js';

/** FastPaths on a real socket, with a stand-in for Fastify's handler that answers 299 "router". */
describe('FastPaths: what is answered before the router, and what is left to it', () => {
  const routed: string[] = [];
  const recorded: { method: string; route: string; status: number; seconds: number }[] = [];
  let respond: (request: http.IncomingMessage) => FastAnswer;
  let state: { closing: boolean };
  let server: http.Server;
  let url: string;
  const paths = new FastPaths();

  const host = (logsEveryRequest: boolean): FastPathHost => ({
    closing: () => state.closing,
    logsEveryRequest,
    requestId: () => 'id-1',
    everyResponse: ['x-content-type-options', 'nosniff', 'cache-control', 'no-store'],
    record: (method, route, status, seconds) => recorded.push({ method, route, status, seconds }),
  });

  beforeAll(async () => {
    paths.get('/doc', (request) => respond(request));
    server = paths.serverFactory(
      (request, response) => {
        routed.push(`${request.method} ${request.url}`);
        response.writeHead(299, { 'content-type': 'text/plain' });
        response.end('router');
      },
      { keepAliveTimeout: 4321, requestTimeout: 8765, connectionTimeout: 0 } as never,
    ) as http.Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    routed.length = 0;
    recorded.length = 0;
    state = { closing: false };
    respond = () => ({ status: 200, headers: ['content-type', 'application/json', 'cache-control', 'public, max-age=60'], body: '{"é":1}' });
    paths.attach(host(false));
  });

  it('makes the server as Fastify would, with its timeouts', () => {
    expect(server.keepAliveTimeout).toBe(4321);
    expect(server.requestTimeout).toBe(8765);
  });

  it('answers GET of the exact path itself: the common headers, the answer headers over them, the byte length', async () => {
    const response = await fetch(`${url}/doc`);
    const raw = await new Promise<string[]>((resolve) => http.get(`${url}/doc`, (answer) => resolve(answer.resume().rawHeaders)));
    expect(raw.filter((_, i) => i % 2 === 0 && raw[i]!.toLowerCase() === 'cache-control')).toHaveLength(1);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"é":1}');
    expect(response.headers.get('x-request-id')).toBe('id-1');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength('{"é":1}')));
    expect(routed).toEqual([]);
    expect(recorded).toHaveLength(2);
    expect(recorded[0]).toMatchObject({ method: 'GET', route: '/doc', status: 200 });
    expect(recorded[0]!.seconds).toBeGreaterThanOrEqual(0);
    expect(recorded[0]!.seconds).toBeLessThan(5);
  });

  it('sends an answer without a body with no body and no content-length (a 304)', async () => {
    respond = () => ({ status: 304, headers: ['etag', '"e"'] });
    const response = await fetch(`${url}/doc`);
    expect(response.status).toBe(304);
    expect(response.headers.get('etag')).toBe('"e"');
    expect(response.headers.get('content-length')).toBeNull();
    expect(await response.text()).toBe('');
    expect(recorded.map((entry) => entry.status)).toEqual([304]);
  });

  it('leaves every other method, path, query string and trailing slash to the router', async () => {
    for (const [method, path] of [['HEAD', '/doc'], ['POST', '/doc'], ['OPTIONS', '/doc'], ['GET', '/doc?x=1'], ['GET', '/doc/'], ['GET', '/DOC'], ['GET', '/other']] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(299);
    }
    expect(routed).toEqual(['HEAD /doc', 'POST /doc', 'OPTIONS /doc', 'GET /doc?x=1', 'GET /doc/', 'GET /DOC', 'GET /other']);
    expect(recorded).toEqual([]);
  });

  it('leaves everything to the router while the app drains, and when every request is logged', async () => {
    state.closing = true;
    expect((await fetch(`${url}/doc`)).status).toBe(299);
    state.closing = false;
    paths.attach(host(true));
    expect((await fetch(`${url}/doc`)).status).toBe(299);
    expect(routed).toEqual(['GET /doc', 'GET /doc']);
    expect(recorded).toEqual([]);
  });

  it('leaves the request to the router, having written nothing, when the responder throws or makes a header Node refuses', async () => {
    respond = () => {
      throw new Error('ring unreadable');
    };
    const thrown = await fetch(`${url}/doc`);
    expect([thrown.status, await thrown.text()]).toEqual([299, 'router']);
    respond = () => ({ status: 200, headers: ['access-control-allow-origin', 'a\u0001b'], body: '{}' });
    const refused = await fetch(`${url}/doc`);
    expect([refused.status, await refused.text()]).toEqual([299, 'router']);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(routed).toEqual(['GET /doc', 'GET /doc']);
    expect(recorded).toEqual([]);
  });

  it('keeps serving answers one after another on one kept-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        http
          .get(`${url}/doc`, { agent }, (response) => {
            sockets.add(response.socket);
            expect(response.statusCode).toBe(200);
            response.resume().on('end', resolve);
          })
          .on('error', reject);
      });
    }
    agent.destroy();
    expect(sockets.size).toBe(1);
    expect(recorded).toHaveLength(5);
  });
});
