import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { Database } from './types.js';
import { lockDataDir } from './data-dir-lock.js';
import { preparePrivateDataDir } from './private-dir.js';
import { PreparingClient } from './prepared.js';
import { listenOnPglite, listenOnPostgres, type NotificationListener, type NotificationSubscriber, type SendNotification } from './notifications.js';

export interface DatabaseOptions {
  /** Postgres connection string; when absent the embedded PGlite store in dataDir is used. */
  databaseUrl?: string;
  dataDir: string;
  poolMax?: number;
  /** Bound for connecting and for any one statement, in milliseconds. */
  timeoutMs?: number;
  /** Hot statements as named prepared statements (Postgres only); off behind a PgBouncer without prepared-statement support. */
  preparedStatements?: boolean;
  /** An already-open PGlite (tests load a migrated template into memory). */
  pglite?: PGlite;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'embedded';
  /** True when the database answers a trivial query within timeoutMs. Never throws. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Connection pool usage (Postgres only). */
  poolStats?(): { total: number; idle: number; waiting: number };
  /**
   * LISTENs on `channel` (see db/notifications.ts): on Postgres on a dedicated connection that
   * reconnects by itself, on PGlite through its own API. Resolves after the first attempt to
   * listen, successful or not; the subscriber hears which.
   */
  listen(channel: string, subscriber: NotificationSubscriber): Promise<NotificationListener>;
  /** Closes every listener still open, then the database. */
  close(): Promise<void>;
}

// timestamptz -> Date, int8 -> number (our counters stay far below 2^53).
pg.types.setTypeParser(20, (v) => Number(v));

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function makePing(db: Kysely<Database>, defaultMs: number) {
  return async (timeoutMs = defaultMs): Promise<boolean> => {
    try {
      await withTimeout(sql`select 1`.execute(db), timeoutMs);
      return true;
    } catch {
      return false;
    }
  };
}

const sendNotification = (db: Kysely<Database>): SendNotification => async (channel, payload) => {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
};

/** Keeps the listeners a handle opened, so that closing the handle closes them first. */
function listenerRegistry(open: (channel: string, subscriber: NotificationSubscriber) => Promise<NotificationListener>) {
  const listeners = new Set<NotificationListener>();
  return {
    listen: async (channel: string, subscriber: NotificationSubscriber): Promise<NotificationListener> => {
      const listener = await open(channel, subscriber);
      const tracked: NotificationListener = {
        sync: () => listener.sync(),
        close: async () => {
          listeners.delete(tracked);
          await listener.close();
        },
      };
      listeners.add(tracked);
      return tracked;
    },
    closeAll: async () => {
      await Promise.all([...listeners].map((listener) => listener.close()));
    },
  };
}

function openPostgres(options: DatabaseOptions & { databaseUrl: string }): DatabaseHandle {
  const timeoutMs = options.timeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
    ...(options.preparedStatements === false ? {} : { Client: PreparingClient }),
  });
  // A connection lost mid-query (database restart, network cut) fails that query; the 'error'
  // event pg also emits must not crash the process, idle or checked out.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listeners = listenerRegistry((channel, subscriber) =>
    listenOnPostgres({ connectionString: options.databaseUrl, timeoutMs }, channel, subscriber, sendNotification(db)),
  );
  return {
    db,
    kind: 'postgres',
    ping: makePing(db, timeoutMs),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    listen: listeners.listen,
    close: async () => {
      await listeners.closeAll();
      await db.destroy();
    },
  };
}

async function openEmbedded(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (!options.pglite) preparePrivateDataDir(options.dataDir);
  const release = options.pglite ? () => undefined : lockDataDir(options.dataDir);
  try {
    // Loaded only for the embedded store: a server on Postgres never needs them (about 3 MB of V8
    // heap; issue 12's memory bound).
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
    const pglite = options.pglite ?? (await PGlite.create({ dataDir: options.dataDir }));
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    const listeners = listenerRegistry((channel, subscriber) => listenOnPglite(pglite, channel, subscriber, sendNotification(db)));
    return {
      db,
      kind: 'embedded',
      ping: makePing(db, options.timeoutMs ?? 5000),
      listen: listeners.listen,
      close: async () => {
        try {
          await listeners.closeAll();
          await db.destroy();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) return openPostgres({ ...options, databaseUrl: options.databaseUrl });
  return openEmbedded(options);
}
