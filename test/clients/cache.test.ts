import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { ClientCache, CLIENT_CHANGES_CHANNEL } from '../../src/clients/cache.js';
import { createTestDatabase, TEST_DATABASE_URL, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { makeClient } from '../helpers/fixtures.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * The client cache over a real database (PGlite, or Postgres with TEST_DATABASE_URL): which
 * lookups reach the database, and what drops an entry.
 */
describe('the client cache', () => {
  let testDatabase: TestDatabase;
  let recorder: StatementRecorder;
  const logs: string[] = [];
  const log = { info: (_: object, message: string) => logs.push(message), warn: (_: object, message: string) => logs.push(message) };
  const open: ClientCache[] = [];
  const db = () => testDatabase.handle.db;

  /** A started cache whose lookups the recorder sees; `every` captures the periodic clear instead of a timer. */
  async function startCache(options: { reloadIntervalSeconds?: number; maxEntries?: number } = {}) {
    const timer: { ms?: number; run?: () => void; stopped: boolean } = { stopped: false };
    const cache = new ClientCache({
      db: recorder.handle.db,
      reloadIntervalSeconds: options.reloadIntervalSeconds ?? 60,
      maxEntries: options.maxEntries,
      every: (ms, run) => {
        Object.assign(timer, { ms, run });
        return () => (timer.stopped = true);
      },
    });
    open.push(cache);
    await cache.start(recorder.handle, log);
    return { cache, timer };
  }

  /** The statements on the clients table that `action` ran. */
  const clientReads = async (action: () => Promise<unknown>) => (await recorder.during(action)).filter((s) => s.includes('"clients"'));
  const rename = (clientId: string, name: string) => db().updateTable('clients').set({ name }).where('id', '=', clientId).execute();
  /** A new client; with a cache, once its INSERT's notification has reached it (it would drop the entry a lookup just made). */
  async function newClient(cache?: ClientCache) {
    const { clientId } = await makeClient(db(), { grantTypes: ['client_credentials'], scopes: ['x'] });
    await cache?.sync();
    return clientId;
  }

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    recorder = new StatementRecorder(testDatabase.handle);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()));
  });
  afterAll(async () => testDatabase?.destroy());

  it('serves a hit from memory, without a statement; a miss is one indexed read', async () => {
    const { cache } = await startCache();
    const id = await newClient(cache);
    expect(cache.stats().listening).toBe(true);
    expect(await clientReads(() => cache.find(id))).toHaveLength(1);
    expect(await clientReads(async () => expect((await cache.find(id))?.clientId).toBe(id))).toEqual([]);
    expect(cache.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1, bypassed: 0 });
  });

  it('never keeps "not found": unknown ids read the database each time and the cache does not grow', async () => {
    const { cache } = await startCache();
    for (let i = 0; i < 5; i++) {
      expect(await clientReads(async () => expect(await cache.find(`made-up-${i}`)).toBeUndefined())).toHaveLength(1);
      expect(await clientReads(async () => expect(await cache.find(`made-up-${i}`)).toBeUndefined())).toHaveLength(1);
    }
    // An id that cannot be a client id is refused without any read (clients/store.ts).
    expect(await clientReads(() => cache.find('no spaces/allowed'))).toEqual([]);
    expect(cache.stats().entries).toBe(0);
  });

  it('holds at most maxEntries, dropping the oldest first', async () => {
    const { cache } = await startCache({ maxEntries: 3 });
    const ids = [await newClient(cache), await newClient(cache), await newClient(cache), await newClient(cache)];
    for (const id of ids) await cache.find(id);
    expect(cache.stats().entries).toBe(3);
    expect(await clientReads(() => cache.find(ids[3]!))).toEqual([]);
    expect(await clientReads(() => cache.find(ids[1]!))).toEqual([]);
    expect(await clientReads(() => cache.find(ids[0]!))).toHaveLength(1); // it was the oldest: dropped
    expect(cache.stats().entries).toBe(3);
  });

  it('drops a client when the trigger notifies its change, whoever made it; sync() is the barrier', async () => {
    const { cache } = await startCache();
    const id = await newClient(cache);
    expect((await cache.find(id))?.name).toBe('Test app');
    await rename(id, 'Renamed by SQL');
    await cache.sync();
    expect((await cache.find(id))?.name).toBe('Renamed by SQL');
    await db().deleteFrom('clients').where('id', '=', id).execute();
    await cache.sync();
    expect(await cache.find(id)).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  it('a rolled-back change notifies nothing', async () => {
    const { cache } = await startCache();
    const id = await newClient(cache);
    await cache.find(id);
    await expect(
      db().transaction().execute(async (trx) => {
        await trx.updateTable('clients').set({ name: 'never committed' }).where('id', '=', id).execute();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await cache.sync();
    expect(await clientReads(() => cache.find(id))).toEqual([]); // still cached: nothing changed
  });

  it('forget() drops an entry at once (a write by this process), and a read it overlapped is not kept', async () => {
    const { cache } = await startCache();
    const id = await newClient(cache);
    await cache.find(id);
    await rename(id, 'Renamed here');
    cache.forget(id);
    expect((await cache.find(id))?.name).toBe('Renamed here');

    // A miss whose read was in flight when the client changed may hold the old row: not kept.
    cache.forget(id);
    const inFlight = cache.find(id);
    cache.forget(id);
    await inFlight;
    expect(cache.stats().entries).toBe(0);
  });

  it('clears everything every CLIENT_CACHE_RELOAD_INTERVAL, which catches a change that sent no notification', async () => {
    const { cache, timer } = await startCache({ reloadIntervalSeconds: 45 });
    expect(timer.ms).toBe(45_000);
    const id = await newClient(cache);
    await cache.find(id);
    // Triggers off for this transaction (session_replication_role): a change no notification reports.
    await db().transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await trx.updateTable('clients').set({ name: 'Silently renamed' }).where('id', '=', id).execute();
    });
    await cache.sync();
    expect((await cache.find(id))?.name).toBe('Test app'); // stale: only the safety net can see it
    timer.run!();
    expect(cache.stats().entries).toBe(0);
    expect((await cache.find(id))?.name).toBe('Silently renamed');
    await cache.close();
    expect(timer.stopped).toBe(true);
  });

  it('TRUNCATE (every client at once) empties it', async () => {
    const { cache } = await startCache();
    const id = await newClient(cache);
    await cache.find(id);
    await sql`truncate clients cascade`.execute(db());
    await cache.sync();
    expect(await cache.find(id)).toBeUndefined();
  });

  it('with CLIENT_CACHE_RELOAD_INTERVAL=0 it is off: no LISTEN, every lookup reads the database', async () => {
    let listened = 0;
    const cache = new ClientCache({ db: recorder.handle.db, reloadIntervalSeconds: 0 });
    open.push(cache);
    await cache.start({ listen: (...args) => (listened++, recorder.handle.listen(...args)) }, log);
    expect(listened).toBe(0);
    const id = await newClient(cache);
    for (let i = 0; i < 3; i++) expect(await clientReads(() => cache.find(id))).toHaveLength(1);
    expect(cache.stats()).toMatchObject({ entries: 0, listening: false, hits: 0, misses: 0, bypassed: 3 });
    await cache.sync(); // nothing to wait for
  });

  it('before start() (and after close()) nothing is trusted: every lookup reads the database', async () => {
    const cache = new ClientCache({ db: recorder.handle.db, reloadIntervalSeconds: 60 });
    const id = await newClient(cache);
    expect(await clientReads(() => cache.find(id))).toHaveLength(1);
    expect(await clientReads(() => cache.find(id))).toHaveLength(1);
    await cache.start(recorder.handle, log);
    await cache.find(id);
    expect(await clientReads(() => cache.find(id))).toEqual([]);
    await cache.close();
    expect(await clientReads(() => cache.find(id))).toHaveLength(1);
    expect(cache.stats()).toMatchObject({ entries: 0, listening: false });
  });

  it('the trigger notifies on the channel the cache listens to, with the client id', async () => {
    const seen: string[] = [];
    const listener = await testDatabase.handle.listen(CLIENT_CHANGES_CHANNEL, { notified: (p) => seen.push(p), listening: () => undefined, lost: () => undefined });
    try {
      const id = await newClient();
      await rename(id, 'again');
      await db().deleteFrom('clients').where('id', '=', id).execute();
      await listener.sync();
      expect(seen).toEqual([id, id, id]);
    } finally {
      await listener.close();
    }
  });

  describe.skipIf(!usingPostgres)('when the LISTEN connection drops (Postgres)', () => {
    const listenerPids = async () =>
      (await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = 'latchkey-listener' and datname = current_database()`.execute(db())).rows.map((r) => r.pid);
    /** Refuses (or allows again) new connections to this database; open ones stay, so the outage lasts as long as the test wants. */
    async function allowConnections(allow: boolean) {
      const name = (await sql<{ name: string }>`select current_database() as name`.execute(db())).rows[0]!.name;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        await admin.query(`alter database ${admin.escapeIdentifier(name)} with allow_connections ${allow}`);
      } finally {
        await admin.end();
      }
    }

    it('reads the database while it is down (keeping nothing), then starts empty and sees what changed meanwhile', async () => {
      const { cache } = await startCache();
      const id = await newClient(cache);
      await cache.find(id);
      const [pid] = await listenerPids();
      expect(pid).toBeDefined();

      await allowConnections(false);
      try {
        await sql`select pg_terminate_backend(${pid!})`.execute(db());
        await waitUntil(() => !cache.stats().listening, { timeoutMs: 5000, intervalMs: 10, what: 'the cache noticing the lost connection' });
        expect(logs).toContain('client cache: not listening for client changes; every lookup reads the database until the connection is back');
        expect(cache.stats().entries).toBe(0);
        await rename(id, 'Renamed during the outage');
        await cache.sync(); // returns at once: nothing is trusted
        for (let i = 0; i < 2; i++) {
          expect(await clientReads(async () => expect((await cache.find(id))?.name).toBe('Renamed during the outage'))).toHaveLength(1);
        }
        expect(cache.stats().entries).toBe(0);
        await rename(id, 'Renamed again, still during the outage');
      } finally {
        await allowConnections(true);
      }

      await waitUntil(() => cache.stats().listening, { timeoutMs: 10_000, intervalMs: 20, what: 'the listener reconnecting' });
      expect(await listenerPids()).not.toContain(pid);
      expect(logs).toContain('client cache: listening for client changes again; the cache is back in use');
      expect((await cache.find(id))?.name).toBe('Renamed again, still during the outage');
      expect(await clientReads(() => cache.find(id))).toEqual([]);
      await rename(id, 'Renamed after the outage');
      await cache.sync();
      expect((await cache.find(id))?.name).toBe('Renamed after the outage');
    });
  });
});
