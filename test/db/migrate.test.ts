import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../migrations/index.js';
import { createUnmigratedDatabase, type TestDatabase } from '../helpers/database.js';

describe('migrations', () => {
  let unmigrated: TestDatabase;
  let database: DatabaseHandle;

  beforeAll(async () => {
    unmigrated = await createUnmigratedDatabase();
    database = unmigrated.handle;
  });
  afterAll(async () => unmigrated?.destroy());

  it('applies every migration on an empty database', async () => {
    expect(await migrateToLatest(database.db)).toEqual(Object.keys(migrations));
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(database.db);
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['users', 'clients']));
  });

  it('runs a second and third time without harm, keeping the data', async () => {
    await database.db.insertInto('users').values({ id: '00000000-0000-4000-8000-000000000001', username: 'keep', password_hash: 'x' }).execute();
    expect(await migrateToLatest(database.db)).toEqual([]);
    expect(await migrateToLatest(database.db)).toEqual([]);
    const users = await database.db.selectFrom('users').select('username').execute();
    expect(users).toEqual([{ username: 'keep' }]);
  });

  it('survives concurrent runs (several instances starting at once)', async () => {
    const results = await Promise.all([migrateToLatest(database.db), migrateToLatest(database.db), migrateToLatest(database.db)]);
    expect(results).toEqual([[], [], []]);
  });

  it('enforces case-insensitive unique usernames and the secret/type rule in the schema itself', async () => {
    await expect(
      database.db.insertInto('users').values({ id: '00000000-0000-4000-8000-000000000002', username: 'KEEP', password_hash: 'x' }).execute(),
    ).rejects.toMatchObject({ code: '23505' });
    await expect(
      database.db.insertInto('clients').values({ id: 'c1', name: 'n', type: 'confidential', secret_hash: null, redirect_uris: '[]', post_logout_redirect_uris: '[]', grant_types: '[]', scopes: '[]', allowed_origins: '[]' }).execute(),
    ).rejects.toMatchObject({ code: '23514' });
  });
});
