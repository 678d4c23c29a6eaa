import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { startPostgresEndpoint, type PostgresEndpoint } from '../helpers/postgres-endpoint.js';
import { waitUntil } from '../helpers/wait-until.js';

describe('GET /readyz follows the database', () => {
  let endpoint: PostgresEndpoint;
  let proxy: TcpProxy;
  let database: DatabaseHandle;
  let server: TestServer;
  const get = (path: string) => fetch(server.url + path);

  beforeAll(async () => {
    endpoint = await startPostgresEndpoint();
    proxy = new TcpProxy(endpoint.host, endpoint.port);
    const port = await proxy.start();
    database = await openDatabase({ databaseUrl: endpoint.url(port), dataDir: '', poolMax: 2, timeoutMs: 1000, preparedStatements: endpoint.preparedStatements });
    server = await startTestServer({}, database);
  });

  afterAll(async () => {
    await server?.stop();
    await database?.close();
    await proxy?.stop();
    await endpoint?.close();
  });

  const readyStatus = async () => (await get('/readyz')).status;

  it('is ready while the database answers', async () => {
    const response = await get('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', database: 'ok' });
  });

  it('goes unready when the database becomes unreachable, and liveness stays up', async () => {
    await proxy.stop();
    const started = Date.now();
    const response = await get('/readyz');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({ status: 'unavailable', database: 'unreachable' });
    expect(Date.now() - started).toBeLessThan(5000); // bounded, never a hang
    expect((await get('/healthz')).status).toBe(200);
  });

  it('is ready again once the database returns, without a restart', async () => {
    await proxy.start(); // same port as before
    await waitUntil(async () => (await readyStatus()) === 200, { timeoutMs: 15_000, intervalMs: 200, what: 'readyz 200' });
    expect(await readyStatus()).toBe(200);
  });
});
