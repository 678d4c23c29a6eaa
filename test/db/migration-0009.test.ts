import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createUnmigratedDatabase, type TestDatabase } from '../helpers/database.js';

/** Migration 0009 gives every existing client the method it can use: public -> none, confidential -> client_secret_basic. */
describe('migration 0009 (token_endpoint_auth_method)', () => {
  let unmigrated: TestDatabase;
  let database: DatabaseHandle;

  beforeAll(async () => {
    unmigrated = await createUnmigratedDatabase();
    database = unmigrated.handle;
  });
  afterAll(async () => unmigrated?.destroy());

  it('backfills existing clients and then refuses a method that contradicts the type', async () => {
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
    const before = await migrator.migrateTo('0008_login_hardening');
    expect(before.error).toBeUndefined();
    await sql`insert into clients (id, name, type, secret_hash) values ('old-web', 'web', 'confidential', 'h'), ('old-spa', 'spa', 'public', null)`.execute(database.db);

    expect(await migrateToLatest(database.db)).toContain('0009_token_endpoint_auth_method');
    const rows = await database.db.selectFrom('clients').select(['id', 'token_endpoint_auth_method']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'old-spa', token_endpoint_auth_method: 'none' },
      { id: 'old-web', token_endpoint_auth_method: 'client_secret_basic' },
    ]);

    await expect(database.db.updateTable('clients').set({ token_endpoint_auth_method: 'none' }).where('id', '=', 'old-web').execute()).rejects.toMatchObject({ code: '23514' });
    await expect(database.db.updateTable('clients').set({ token_endpoint_auth_method: 'client_secret_post' }).where('id', '=', 'old-spa').execute()).rejects.toMatchObject({ code: '23514' });
  });
});
