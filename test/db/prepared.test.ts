import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { executePrepared } from '../../src/db/prepared.js';
import { withTransaction } from '../../src/db/transaction.js';
import { findLoginCandidate } from '../../src/login/attempt-store.js';
import { findPendingRequest, savePendingRequest } from '../../src/oauth/authorize/request-store.js';
import { makeUser } from '../helpers/fixtures.js';
import { createPostgresDatabase, createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';

const preparedNames = async (handle: DatabaseHandle) =>
  (await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(handle.db)).rows.map((r) => r.name);

describe('executePrepared on the test database (Postgres or PGlite)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.destroy());

  it('returns what the plain statement returns, for raw sql and for a query builder, with parameters', async () => {
    const db = database.handle.db;
    const raw = await executePrepared(db, 'test_raw', sql<{ n: number; s: string }>`select ${41}::int + 1 as n, ${'x'}::text as s`);
    expect(raw.rows).toEqual([{ n: 42, s: 'x' }]);
    const built = await executePrepared(db, 'test_built', db.selectFrom('clients').select('id').where('id', '=', 'no-such-client'));
    expect(built.rows).toEqual([]);
  });

  it('reports a failing statement as the plain statement would, and runs inside a transaction that then rolls back', async () => {
    const db = database.handle.db;
    await expect(executePrepared(db, 'test_fail', sql`select 1 / ${0}::int`)).rejects.toThrow(/division by zero/);
    await expect(
      withTransaction(db, async (trx) => {
        await executePrepared(trx, 'test_insert', sql`insert into audit_events (type, details) values ('admin_action', '{"marker": "prepared-rollback"}'::jsonb)`);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const left = await sql<{ n: number }>`select count(*)::int as n from audit_events where details->>'marker' = 'prepared-rollback'`.execute(db);
    expect(left.rows[0]!.n).toBe(0);
  });
});

// pg_prepared_statements is per connection: a pool of one connection makes "the same session" observable.
describe.skipIf(!usingPostgres)('named prepared statements on Postgres (needs Postgres)', () => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase({ migrate: false }));
  });
  afterAll(async () => drop?.());

  it('parses a marked statement once per connection under a name from its label and text; unmarked statements stay unnamed', async () => {
    const handle = await openDatabase({ databaseUrl: url, dataDir: '', poolMax: 1 });
    try {
      for (let i = 0; i < 3; i++) await executePrepared(handle.db, 'hot_path', sql`select ${i}::int as i`);
      await executePrepared(handle.db, 'hot_path', sql`select ${1}::int as i, 2 as j`);
      await sql`select 1`.execute(handle.db);
      const names = await preparedNames(handle);
      // Two texts under one label get two names: pg refuses one name for two texts.
      expect(names).toHaveLength(2);
      for (const name of names) expect(name).toMatch(/^lk_hot_path_[A-Za-z0-9_-]{12}$/);
    } finally {
      await handle.close();
    }
  });

  it('names nothing with preparedStatements: false (PgBouncer in transaction mode)', async () => {
    const handle = await openDatabase({ databaseUrl: url, dataDir: '', poolMax: 1, preparedStatements: false });
    try {
      expect((await executePrepared(handle.db, 'hot_path', sql<{ i: number }>`select ${7}::int as i`)).rows).toEqual([{ i: 7 }]);
      expect(await preparedNames(handle)).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it('keeps the sign-in reads working when another instance adds a column (a rolling migration), where a prepared select * breaks', async () => {
    const { url: migratedUrl, drop: dropMigrated } = await createPostgresDatabase({ migrate: true });
    const handle = await openDatabase({ databaseUrl: migratedUrl, dataDir: '', poolMax: 1 });
    const other = await openDatabase({ databaseUrl: migratedUrl, dataDir: '', poolMax: 1 });
    try {
      const now = new Date();
      const pendingId = await savePendingRequest(handle.db, 'authorization_code', { clientId: 'any-client', scope: 'openid' }, now);
      const user = await makeUser(handle.db);
      const reads = async () => ({
        pending: (await findPendingRequest(handle.db, pendingId, now))?.id,
        candidate: (await findLoginCandidate(handle.db, user.username.toLowerCase(), ''))?.id,
      });
      const starAll = () => executePrepared(handle.db, 'star', handle.db.selectFrom('users').selectAll().where('id', '=', user.id));
      expect(await reads()).toEqual({ pending: pendingId, candidate: user.id });
      await starAll();
      expect((await preparedNames(handle)).length).toBeGreaterThanOrEqual(3);

      await sql`alter table users add column added_by_a_newer_release text`.execute(other.db);
      await sql`alter table authorization_requests add column added_by_a_newer_release text`.execute(other.db);

      expect(await reads()).toEqual({ pending: pendingId, candidate: user.id });
      await expect(starAll()).rejects.toThrow(/cached plan must not change result type/);
    } finally {
      await other.close();
      await handle.close();
      await dropMigrated();
    }
  });
});
