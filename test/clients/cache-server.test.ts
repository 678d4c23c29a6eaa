import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { introspect } from '../helpers/tokens.js';

/**
 * The client cache inside a running server: which requests still read the clients table, and
 * which changes reach it how (its own writes at once, others by notification, none by neither).
 */
describe('a server with the client cache', () => {
  let testDatabase: TestDatabase;
  let recorder: StatementRecorder;
  let server: TestServer;
  let service: { clientId: string; secret?: string };
  const db = () => testDatabase.handle.db;

  const clientCredentials = (client: { clientId: string; secret?: string }, fields: Record<string, string> = {}) =>
    postForm(`${server.url}/token`, { grant_type: 'client_credentials', ...fields }, { authorization: basicAuth(client.clientId, client.secret!) });
  /** The statements on the clients table that `action` ran. */
  const clientReads = async (action: () => Promise<unknown>) => (await recorder.during(action)).filter((s) => s.includes('"clients"'));
  /**
   * Runs `change` with the clients trigger off, so no instance is notified: only a read of the row
   * itself (or the periodic clear) can see what it does.
   */
  async function unnotified(change: () => Promise<unknown>) {
    await sql`alter table clients disable trigger clients_notify_change`.execute(db());
    try {
      await change();
    } finally {
      await sql`alter table clients enable trigger clients_notify_change`.execute(db());
    }
  }

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    recorder = new StatementRecorder(testDatabase.handle);
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', RATE_LIMIT_ADMIN: '0' }, recorder.handle);
    service = await makeClient(db(), { grantTypes: ['client_credentials'], scopes: ['x'] });
    await server.clientCache.sync();
  });
  afterAll(async () => {
    await server?.stop();
    await testDatabase?.destroy();
  });

  it('authenticates a known client at /token without reading its row again', async () => {
    expect(await clientReads(async () => expect((await clientCredentials(service)).status).toBe(200))).toHaveLength(1);
    for (let i = 0; i < 3; i++) expect(await clientReads(async () => expect((await clientCredentials(service)).status).toBe(200))).toEqual([]);
    // A wrong secret is refused from the cached row too (nothing about the client changed).
    expect((await clientCredentials({ clientId: service.clientId, secret: 'wrong' })).status).toBe(401);
  });

  it('introspection authenticates its caller from memory but judges a client_credentials token by the row, read now', async () => {
    const doomed = await makeClient(db(), { grantTypes: ['client_credentials'], scopes: ['x'] });
    await server.clientCache.sync();
    const token = ((await (await clientCredentials(doomed)).json()) as { access_token: string }).access_token;
    const reads = await clientReads(async () => expect(await introspect(server.url, doomed, token)).toMatchObject({ active: true }));
    expect(reads).toHaveLength(1); // the token's client (client-token-liveness.ts); the caller came from the cache
    await unnotified(() => db().deleteFrom('clients').where('id', '=', doomed.clientId).execute());
    // The caller is that deleted client, still cached (nobody was notified): it authenticates, but its token is dead at once.
    expect(await introspect(server.url, doomed, token)).toEqual({ active: false });
    server.clientCache.reload(); // the periodic clear
    expect((await clientCredentials(doomed)).status).toBe(401);
  });

  it('the admin guard reads the client on every request: a demotion nobody was notified of locks it out at once', async () => {
    const admin = await adminToken(server);
    const call = adminFetch(server, admin.token);
    expect((await call('GET', '/admin/clients?limit=1')).status).toBe(200);
    await unnotified(() => db().updateTable('clients').set({ is_admin: false, credentials_changed_at: new Date(0) }).where('id', '=', admin.clientId).execute());
    expect((await call('GET', '/admin/clients?limit=1')).status).toBe(403);
  });

  it('reads its own writes at once: a secret rotated or a client deleted through its admin API, even with no notification', async () => {
    const { token } = await adminToken(server);
    const call = adminFetch(server, token);
    const victim = await makeClient(db(), { grantTypes: ['client_credentials'], scopes: ['x'] });
    await server.clientCache.sync();
    expect((await clientCredentials(victim)).status).toBe(200);
    expect(await clientReads(() => clientCredentials(victim))).toEqual([]); // cached

    await unnotified(async () => {
      const rotated = await call('POST', `/admin/clients/${victim.clientId}/secret`, { overlap_seconds: 0 });
      expect(rotated.status).toBe(200);
      expect((await clientCredentials(victim)).status).toBe(401);
      const renewed = { clientId: victim.clientId, secret: String(rotated.body!.client_secret) };
      expect((await clientCredentials(renewed)).status).toBe(200);

      expect((await call('PATCH', `/admin/clients/${victim.clientId}`, { grant_types: ['authorization_code'], redirect_uris: ['https://app.example.com/cb'] })).status).toBe(200);
      expect(((await (await clientCredentials(renewed)).json()) as { error: string }).error).toBe('unauthorized_client');

      expect((await call('DELETE', `/admin/clients/${victim.clientId}`)).status).toBe(204);
      expect((await clientCredentials(renewed)).status).toBe(401);
    });
  });

  it('reports what it does on /metrics', async () => {
    await clientCredentials(service);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^latchkey_client_cache_listening 1$/m);
    expect(text).toMatch(/^latchkey_client_cache_entries \d+$/m);
    expect(Number(/^latchkey_client_cache_lookups_total\{result="hit"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });
});

describe('a server with CLIENT_CACHE_RELOAD_INTERVAL=0', () => {
  let testDatabase: TestDatabase;
  let recorder: StatementRecorder;
  let server: TestServer;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    recorder = new StatementRecorder(testDatabase.handle);
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', CLIENT_CACHE_RELOAD_INTERVAL: '0' }, recorder.handle);
  });
  afterAll(async () => {
    await server?.stop();
    await testDatabase?.destroy();
  });

  it('reads the client on every request and never listens', async () => {
    const service = await makeClient(testDatabase.handle.db, { grantTypes: ['client_credentials'], scopes: ['x'] });
    for (let i = 0; i < 3; i++) {
      const statements = await recorder.during(async () => {
        const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(service.clientId, service.secret!) });
        expect(response.status).toBe(200);
      });
      expect(statements.filter((s) => s.includes('"clients"'))).toHaveLength(1);
    }
    expect(server.clientCache.stats()).toMatchObject({ entries: 0, listening: false, hits: 0 });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^latchkey_client_cache_listening 0$/m);
  });
});
