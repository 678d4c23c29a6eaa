import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startPostgresEndpoint, type PostgresEndpoint } from '../helpers/postgres-endpoint.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitUntil } from '../helpers/wait-until.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { loginTokens, refresh, type TokenSet } from '../helpers/tokens.js';

const REDIRECT = 'https://app.example.com/cb';

describe('the database going away and coming back', () => {
  let endpoint: PostgresEndpoint;
  let proxy: TcpProxy;
  let database: DatabaseHandle;
  let server: TestServer;
  let service: { clientId: string; secret?: string };
  let app: { clientId: string; secret?: string };
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    endpoint = await startPostgresEndpoint();
    proxy = new TcpProxy(endpoint.host, endpoint.port);
    await proxy.start();
    database = await openDatabase({ databaseUrl: endpoint.url(proxy.port), dataDir: '', poolMax: 4, timeoutMs: 1000 });
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', DB_TIMEOUT: '1s' }, database);
    service = await makeClient(database.db, { grantTypes: ['client_credentials'], scopes: ['x'] });
    app = await makeClient(database.db, { redirectUris: [REDIRECT] });
    user = await makeUser(database.db, { username: 'faulty' });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.close();
    await proxy?.stop();
    await endpoint?.close();
  });

  const clientCredentials = () => postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(service.clientId, service.secret!) });

  it('answers 503 with Retry-After (never 500, never a hang), keeps JWKS and discovery up, and recovers without a restart', async () => {
    const families: TokenSet[] = [];
    for (let i = 0; i < 3; i++) families.push(await loginTokens(server.url, app, REDIRECT, 'faulty', user.password));
    expect((await clientCredentials()).status).toBe(200);

    await proxy.stop();
    const started = Date.now();
    const during = await Promise.all([clientCredentials(), ...families.map((f) => refresh(server.url, app, f.refresh_token!)), clientCredentials()]);
    expect(Date.now() - started).toBeLessThan(5000);
    for (const response of during) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    }
    expect((await fetch(`${server.url}/.well-known/jwks.json`)).status).toBe(200);
    expect((await fetch(`${server.url}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await proxy.start();
    await waitUntil(async () => (await clientCredentials()).status === 200, { timeoutMs: 10_000, intervalMs: 200, what: 'the token endpoint recovering' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    // The refreshes that failed during the outage consumed nothing: each family still has exactly
    // one unconsumed token, and it is the one the client holds.
    for (const family of families) {
      const next = await refresh(server.url, app, family.refresh_token!);
      expect(next.status).toBe(200);
    }
    const { rows } = await import('kysely').then(({ sql }) =>
      sql<{ grant_id: string; live: number }>`select grant_id, count(*) filter (where consumed_at is null)::int as live from refresh_tokens group by grant_id`.execute(database.db),
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.live === 1)).toBe(true);
  });
});
