import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const usingPostgres = Boolean(TEST_DATABASE_URL);

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Set on Postgres: a URL another process (the CLI, a second server) can open. */
  url?: string;
  /** Drops the database (Postgres) or closes the in-memory PGlite. */
  destroy(): Promise<void>;
}

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function adminQuery(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sqlText);
  } finally {
    await client.end();
  }
}

/** A fresh, empty Postgres database for one test file; migrated unless told otherwise. */
export async function createPostgresDatabase(options: { migrate?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `latchkey_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = withDatabaseName(TEST_DATABASE_URL, name);
  if (options.migrate !== false) {
    const handle = await openDatabase({ databaseUrl: url, dataDir: '' });
    await migrateToLatest(handle.db);
    await handle.close();
  }
  return { url, drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

/** Loads the PGlite template (see global-setup.ts), migrated unless told otherwise, into memory or dataDir. */
export async function loadPgliteTemplate(dataDir?: string, options: { migrated?: boolean } = {}): Promise<PGlite> {
  const path = inject(options.migrated === false ? 'pgliteEmptyTemplate' : 'pgliteTemplate');
  const tarball = new Blob([await readFile(path)]);
  return PGlite.create({ dataDir, loadDataDir: tarball });
}

/**
 * A database of its own for one test file: real Postgres when configured, else PGlite; migrated
 * unless told otherwise (the migration tests start from an empty one).
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.migrated !== false;
  if (TEST_DATABASE_URL) {
    const { url, drop } = await createPostgresDatabase({ migrate: migrated });
    const handle = await openDatabase({ databaseUrl: url, dataDir: '', timeoutMs: 5000 });
    return {
      handle,
      url,
      destroy: async () => {
        await handle.close();
        await drop();
      },
    };
  }
  const handle = await openDatabase({ dataDir: '', pglite: await loadPgliteTemplate(undefined, { migrated }) });
  return { handle, destroy: () => handle.close() };
}

/** An empty, unmigrated database of its own, for migration tests. */
export const createUnmigratedDatabase = () => createTestDatabase({ migrated: false });
