import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { generateClientSecret, sha256Hex } from '../../src/clients/secret.js';
import { createPostgresDatabase, TEST_DATABASE_URL, usingPostgres } from '../helpers/database.js';
import { makeClient } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/wait-until.js';
import { collect, spawnLatchkey, waitForHttp } from '../helpers/process.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../helpers/config.js';

/**
 * The bound README and SECURITY.md state: a client change made anywhere stops being served by
 * every instance once the NOTIFY reaches it, in milliseconds. Polled with a timeout far above
 * that and far below the periodic clear (set to an hour here, so it can explain nothing).
 */
const BOUND_MS = 2000;

type Credentials = { clientId: string; secret: string };

// Two server processes on one database: PGlite admits a single process, so this needs Postgres.
describe.skipIf(!usingPostgres)('two Latchkey processes share no stale client (client cache, LISTEN/NOTIFY; needs Postgres)', () => {
  let drop: () => Promise<void>;
  let databaseName: string;
  let database: DatabaseHandle;
  const processes: ChildProcess[] = [];
  let a: string;
  let b: string;
  let ops: Credentials;

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    databaseName = new URL(created.url).pathname.slice(1);
    database = await openDatabase({ databaseUrl: created.url, dataDir: '' });
    const [portA, portB] = [await freePort(), await freePort()];
    a = `http://127.0.0.1:${portA}`;
    b = `http://127.0.0.1:${portB}`;
    const common = {
      DATABASE_URL: created.url,
      ISSUER: a,
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      RATE_LIMIT_TOKEN: '0',
      RATE_LIMIT_ADMIN: '0',
      KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      CLIENT_CACHE_RELOAD_INTERVAL: '1h',
    };
    for (const port of [portA, portB]) {
      const child = spawnLatchkey(['serve'], { ...common, PORT: String(port) });
      void collect(child);
      processes.push(child);
    }
    await Promise.all([waitForHttp(`${a}/readyz`), waitForHttp(`${b}/readyz`)]);
    ops = (await makeClient(database.db, { name: 'ops', admin: true })) as Credentials;
  });

  afterAll(async () => {
    for (const child of processes) child.kill('SIGTERM');
    await Promise.all(processes.map((child) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))));
    await database?.close();
    await drop?.();
  });

  /** Client authentication only (/introspect has no rate limit): 200 when the credentials are accepted, 401 when not. */
  const authenticate = async (base: string, client: Credentials) =>
    (await postForm(`${base}/introspect`, { token: 'not-a-token' }, { authorization: basicAuth(client.clientId, client.secret) })).status;
  const metric = async (base: string, pattern: RegExp) => Number(pattern.exec(await (await fetch(`${base}/metrics`)).text())?.[1]);
  const hits = (base: string) => metric(base, /^latchkey_client_cache_lookups_total\{result="hit"\} (\d+)$/m);
  const listening = async (base: string) => (await metric(base, /^latchkey_client_cache_listening (\d)$/m)) === 1;
  const admin = async (method: string, path: string, body?: unknown) => {
    const tokenResponse = await postForm(`${a}/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basicAuth(ops.clientId, ops.secret) });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const headers = { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    return fetch(`${a}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };

  /** A new client, authenticated on both instances until each serves it from its cache. */
  async function cachedOnBoth(): Promise<Credentials> {
    const client = (await makeClient(database.db, { grantTypes: ['client_credentials'], scopes: ['x'] })) as Credentials;
    for (const base of [a, b]) {
      const before = await hits(base);
      // Its INSERT's notification may drop the first lookup's entry: ask until one is a hit.
      await waitUntil(async () => (await authenticate(base, client)) === 200 && (await hits(base)) > before, { timeoutMs: BOUND_MS, intervalMs: 10, what: `${base} caching the client` });
    }
    return client;
  }

  const refusedWithinBound = (base: string, client: Credentials) =>
    waitUntil(async () => (await authenticate(base, client)) === 401, { timeoutMs: BOUND_MS, intervalMs: 5, what: `${base} refusing the old credentials` });

  it('a secret rotated without overlap through A’s admin API: the old one is refused on B within the bound, the new one works there', async () => {
    const client = await cachedOnBoth();
    const response = await admin('POST', `/admin/clients/${client.clientId}/secret`, { overlap_seconds: 0 });
    expect(response.status).toBe(200);
    const renewed = { clientId: client.clientId, secret: ((await response.json()) as { client_secret: string }).client_secret };
    expect(await authenticate(a, client)).toBe(401); // A read its own write before answering
    await refusedWithinBound(b, client);
    expect(await authenticate(b, renewed)).toBe(200);
    const token = await postForm(`${b}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(renewed.clientId, renewed.secret) });
    expect(token.status).toBe(200);
  });

  it('a client deleted through A’s admin API is refused on B within the bound', async () => {
    const client = await cachedOnBoth();
    expect((await admin('DELETE', `/admin/clients/${client.clientId}`)).status).toBe(204);
    expect(await authenticate(a, client)).toBe(401);
    await refusedWithinBound(b, client);
    const token = await postForm(`${b}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, client.secret) });
    expect(token.status).toBe(401);
  });

  it('a secret changed with plain SQL (no admin API) reaches both within the bound', async () => {
    const client = await cachedOnBoth();
    const renewed = { clientId: client.clientId, secret: generateClientSecret() };
    await database.db.updateTable('clients').set({ secret_hash: sha256Hex(renewed.secret) }).where('id', '=', client.clientId).execute();
    await Promise.all([refusedWithinBound(a, client), refusedWithinBound(b, client)]);
    expect(await authenticate(a, renewed)).toBe(200);
    expect(await authenticate(b, renewed)).toBe(200);
  });

  describe('while the LISTEN connections are down', () => {
    /** Runs `sqlText` on the server's maintenance database (ALTER DATABASE cannot target the current one). */
    async function asSuperuser(sqlText: string) {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(sqlText);
      } finally {
        await client.end();
      }
    }
    const allowConnections = (allow: boolean) => asSuperuser(`alter database ${pg.escapeIdentifier(databaseName)} with allow_connections ${allow}`);

    it('each instance reads clients from the database, and after reconnecting starts from nothing: a change made meanwhile is seen', async () => {
      const client = await cachedOnBoth();
      const listeners = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and application_name = 'latchkey-listener'`.execute(database.db);
      expect(listeners.rows).toHaveLength(2);

      // New connections are refused (the open ones, pools included, keep working), so neither
      // listener can come back until the test says so.
      await allowConnections(false);
      const renewed = { clientId: client.clientId, secret: generateClientSecret() };
      try {
        await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'latchkey-listener'`.execute(database.db);
        await waitUntil(async () => !(await listening(a)) && !(await listening(b)), { timeoutMs: 5000, intervalMs: 20, what: 'both caches noticing the lost connection' });
        await database.db.updateTable('clients').set({ secret_hash: sha256Hex(renewed.secret) }).where('id', '=', client.clientId).execute();
        // No notification can arrive: only reading the database refuses the old secret now.
        expect(await authenticate(b, client)).toBe(401);
        expect(await authenticate(a, client)).toBe(401);
        expect(await authenticate(b, renewed)).toBe(200);
      } finally {
        await allowConnections(true);
      }

      await waitUntil(async () => (await listening(a)) && (await listening(b)), { timeoutMs: 15_000, intervalMs: 50, what: 'both listeners reconnecting' });
      expect(await authenticate(b, client)).toBe(401);
      expect(await authenticate(b, renewed)).toBe(200);
      // Listening again: B caches, and the next change reaches it by notification.
      const before = await hits(b);
      expect(await authenticate(b, renewed)).toBe(200);
      expect(await hits(b)).toBeGreaterThan(before);
      await database.db.deleteFrom('clients').where('id', '=', client.clientId).execute();
      await refusedWithinBound(b, renewed);
    });
  });
});
