import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import type { Database } from './types.js';
import { lockDataDir } from './data-dir-lock.js';
import { preparePrivateDataDir } from './private-dir.js';
import { PreparingClient } from './prepared.js';

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
  return {
    db,
    kind: 'postgres',
    ping: makePing(db, timeoutMs),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => db.destroy(),
  };
}

async function openEmbedded(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (!options.pglite) preparePrivateDataDir(options.dataDir);
  const release = options.pglite ? () => undefined : lockDataDir(options.dataDir);
  try {
    const pglite = options.pglite ?? (await PGlite.create({ dataDir: options.dataDir }));
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      kind: 'embedded',
      ping: makePing(db, options.timeoutMs ?? 5000),
      close: async () => {
        try {
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
