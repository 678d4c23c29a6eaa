import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createPostgresDatabase, loadPgliteTemplate, TEST_DATABASE_URL } from '../helpers/database.js';

/** Migration 0009 gives every existing client the method it can use: public -> none, confidential -> client_secret_basic. */
describe('migration 0009 (token_endpoint_auth_method)', () => {
  let database: DatabaseHandle;
  let drop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (TEST_DATABASE_URL) {
      const created = await createPostgresDatabase({ migrate: false });
      drop = created.drop;
      database = await openDatabase({ databaseUrl: created.url, dataDir: '' });
    } else {
      database = await openDatabase({ dataDir: '', pglite: await loadPgliteTemplate(undefined, { migrated: false }) });
    }
  });
  afterAll(async () => {
    await database?.close();
    await drop();
  });

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
