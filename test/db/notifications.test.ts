import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/connect.js';
import { listenOnPostgres, type NotificationSubscriber } from '../../src/db/notifications.js';
import { createPostgresDatabase, createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitUntil } from '../helpers/wait-until.js';

const CHANNEL = 'latchkey_test_channel';

/** A subscriber that writes down what it hears. */
function recording() {
  const events: string[] = [];
  const subscriber: NotificationSubscriber = {
    notified: (payload) => events.push(`notified ${payload}`),
    listening: () => events.push('listening'),
    lost: () => events.push('lost'),
  };
  return { events, subscriber, notified: () => events.filter((e) => e.startsWith('notified ')).map((e) => e.slice('notified '.length)) };
}

describe('LISTEN/NOTIFY through DatabaseHandle.listen', () => {
  let testDatabase: TestDatabase;
  const db = () => testDatabase.handle.db;
  const notify = (payload: string) => sql`select pg_notify(${CHANNEL}, ${payload})`.execute(db());

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
  });
  afterAll(async () => testDatabase?.destroy());

  it('hands committed notifications over in commit order, never a rolled-back one; sync() waits for what was committed before it', async () => {
    const { events, subscriber, notified } = recording();
    const listener = await testDatabase.handle.listen(CHANNEL, subscriber);
    try {
      expect(events).toEqual(['listening']);
      await notify('one');
      await expect(
        db().transaction().execute(async (trx) => {
          await sql`select pg_notify(${CHANNEL}, 'rolled back')`.execute(trx);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await db().transaction().execute(async (trx) => {
        await sql`select pg_notify(${CHANNEL}, 'two')`.execute(trx);
        await sql`select pg_notify(${CHANNEL}, 'three')`.execute(trx);
      });
      await listener.sync();
      expect(notified()).toEqual(['one', 'two', 'three']);
    } finally {
      await listener.close();
    }
  });

  it('keeps its own and other listeners’ barriers from the subscriber, and hears nothing once closed', async () => {
    const first = recording();
    const second = recording();
    const a = await testDatabase.handle.listen(CHANNEL, first.subscriber);
    const b = await testDatabase.handle.listen(CHANNEL, second.subscriber);
    await Promise.all([a.sync(), b.sync(), a.sync()]);
    await notify('after the barriers');
    await a.sync();
    await b.sync();
    expect(first.notified()).toEqual(['after the barriers']);
    expect(second.notified()).toEqual(['after the barriers']);
    await a.close();
    await notify('after close');
    await b.sync();
    expect(first.notified()).toEqual(['after the barriers']);
    expect(second.notified()).toEqual(['after the barriers', 'after close']);
    await b.close();
    await a.sync(); // closed: nothing to wait for
  });

  describe.skipIf(!usingPostgres)('on Postgres, a dedicated connection', () => {
    const listenerPids = async () =>
      (await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = 'latchkey-listener' and datname = current_database()`.execute(db())).rows.map((r) => r.pid);

    it('reconnects after its backend is terminated: lost, then listening again, and notifications flow again', async () => {
      const { events, subscriber, notified } = recording();
      const listener = await testDatabase.handle.listen(CHANNEL, subscriber);
      try {
        const [pid] = await listenerPids();
        await sql`select pg_terminate_backend(${pid!})`.execute(db());
        await waitUntil(() => events.filter((e) => e === 'listening').length === 2, { timeoutMs: 5000, intervalMs: 10, what: 'listening again' });
        expect(events).toEqual(['listening', 'lost', 'listening']);
        expect(await listenerPids()).not.toContain(pid);
        await notify('after the reconnect');
        await listener.sync();
        expect(notified()).toEqual(['after the reconnect']);
      } finally {
        await listener.close();
      }
      expect(await listenerPids()).toEqual([]);
    });

    it('closing the database handle closes the listeners it opened', async () => {
      const { url, drop } = await createPostgresDatabase();
      const handle = await openDatabase({ databaseUrl: url, dataDir: '' });
      try {
        await handle.listen(CHANNEL, recording().subscriber);
        const count = async () => Number((await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where application_name = 'latchkey-listener' and datname = ${new URL(url).pathname.slice(1)}`.execute(db())).rows[0]!.n);
        expect(await count()).toBe(1);
        await handle.close();
        await waitUntil(async () => (await count()) === 0, { timeoutMs: 5000, what: 'the listening session ending' });
      } finally {
        await drop();
      }
    });

    it('notices a connection that went silent (no FIN, no RST) by its heartbeat, and listens again on a new one', async () => {
      const target = new URL(testDatabase.url!);
      const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      await proxy.start();
      const viaProxy = new URL(testDatabase.url!);
      viaProxy.port = String(proxy.port);
      const { events, subscriber, notified } = recording();
      const send = async (channel: string, payload: string) => void (await sql`select pg_notify(${channel}, ${payload})`.execute(db()));
      const listener = await listenOnPostgres({ connectionString: viaProxy.toString(), timeoutMs: 500, heartbeatMs: 100, minBackoffMs: 10 }, CHANNEL, subscriber, send);
      try {
        expect(events).toEqual(['listening']);
        proxy.freeze();
        await waitUntil(() => events.length === 3, { timeoutMs: 5000, intervalMs: 20, what: 'lost and listening again' });
        expect(events).toEqual(['listening', 'lost', 'listening']);
        await notify('on the new connection');
        await listener.sync();
        expect(notified()).toEqual(['on the new connection']);
      } finally {
        await listener.close();
        await proxy.stop();
      }
    });

    it('keeps retrying while the database refuses it, and listens once it can', async () => {
      const proxy = new TcpProxy('127.0.0.1', 1); // nothing listens on port 1: every attempt is refused
      await proxy.start();
      const target = new URL(testDatabase.url!);
      const viaProxy = new URL(testDatabase.url!);
      viaProxy.port = String(proxy.port);
      const { events, subscriber } = recording();
      const send = async () => undefined;
      const listener = await listenOnPostgres({ connectionString: viaProxy.toString(), timeoutMs: 500, minBackoffMs: 10, maxBackoffMs: 50 }, CHANNEL, subscriber, send);
      try {
        expect(events[0]).toBe('lost');
        await waitUntil(() => events.length >= 3, { timeoutMs: 5000, intervalMs: 10, what: 'several attempts' });
        expect(events.every((e) => e === 'lost')).toBe(true);
        await listener.sync(); // not listening: returns at once
        // Point the proxy at the database: the next attempt succeeds.
        await proxy.stop();
        const working = new TcpProxy(target.hostname, Number(target.port || 5432));
        working.port = proxy.port;
        await working.start();
        try {
          await waitUntil(() => events.includes('listening'), { timeoutMs: 5000, intervalMs: 10, what: 'listening at last' });
        } finally {
          await listener.close();
          await working.stop();
        }
      } finally {
        await listener.close();
        await proxy.stop();
      }
    });
  });
});
