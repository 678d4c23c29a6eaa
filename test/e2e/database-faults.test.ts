import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startPostgresEndpoint, type PostgresEndpoint } from '../helpers/postgres-endpoint.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';
import { jwtPayload } from '../audit/support.js';
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
  let recorder: StatementRecorder;
  let service: { clientId: string; secret?: string };
  let app: { clientId: string; secret?: string };
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    endpoint = await startPostgresEndpoint();
    proxy = new TcpProxy(endpoint.host, endpoint.port);
    await proxy.start();
    database = await openDatabase({ databaseUrl: endpoint.url(proxy.port), dataDir: '', poolMax: 4, timeoutMs: 1000, preparedStatements: endpoint.preparedStatements });
    recorder = new StatementRecorder(database);
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', DB_TIMEOUT: '1s' }, recorder.handle);
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

  it('client_credentials whose audit INSERT cannot reach the database: 503 with no token for every request sharing it, no row, then recovery', async () => {
    await waitUntil(async () => (await clientCredentials()).status === 200, { timeoutMs: 10_000, intervalMs: 200, what: 'the token endpoint up' });
    // Read past the proxy: the server's own connections are the ones cut.
    const direct = await openDatabase({ databaseUrl: endpoint.url(), dataDir: '', poolMax: 1, preparedStatements: endpoint.preparedStatements });
    onTestFinished(() => direct.close());
    const issuedRows = () => direct.db.selectFrom('audit_events').select('details').where('type', '=', 'token_issued').where('client_id', '=', service.clientId).execute();
    const before = (await issuedRows()).length;
    // The client lookups succeed; the network goes down just as the first audit INSERT is sent, so
    // the requests that passed their lookup wait on a group commit that cannot happen.
    let stopping: Promise<void> | undefined;
    recorder.onNext(/^insert into "?audit_events"?/, () => {
      stopping = proxy.stop();
    });
    const during = await Promise.all(Array.from({ length: 6 }, () => clientCredentials()));
    expect(stopping).toBeDefined();
    await stopping;
    for (const response of during) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    }
    expect((await issuedRows()).length).toBe(before);

    await proxy.start();
    let recovered: Response | undefined;
    await waitUntil(async () => (recovered = await clientCredentials()).status === 200, { timeoutMs: 10_000, intervalMs: 200, what: 'the token endpoint recovering' });
    // Exactly the token that was answered has its row: none of the refused ones left a row behind.
    const { access_token } = (await recovered!.json()) as TokenSet;
    const rows = await issuedRows();
    expect(rows).toHaveLength(before + 1);
    expect(rows.map((row) => (row.details as { jti: string }).jti)).toContain(jwtPayload(access_token).jti);
  });
});
