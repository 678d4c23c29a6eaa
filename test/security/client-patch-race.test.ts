import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usingPostgres } from '../helpers/database.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { makeClient } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait-until.js';

/*
 * An admin PATCH merges its body over the stored client and writes the whole row. If it read the
 * row before a concurrent demotion committed, it must not write the admin flag back. Needs a second
 * Postgres session holding the row (PGlite has one connection).
 */
describe.skipIf(!usingPostgres)('an admin PATCH racing a demotion (Postgres only: needs a second session)', () => {
  let server: TestServer;
  let ops: ReturnType<typeof adminFetch>;
  let other: pg.Client;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_ADMIN: '0' });
    ops = adminFetch(server, (await adminToken(server)).token);
    other = new pg.Client({ connectionString: server.testDatabase!.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await server?.stop();
  });

  it('a rename that waited for the demotion keeps the client demoted', async () => {
    const { clientId } = await makeClient(server.database.db, { admin: true });
    await other.query('begin');
    await other.query(`update clients set is_admin = false, scopes = '[]'::jsonb where id = $1`, [clientId]);

    const renaming = ops('PATCH', `/admin/clients/${clientId}`, { name: 'renamed' });
    await waitUntil(
      async () => {
        const { rows } = await other.query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        return Number(rows[0]?.n) > 0;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the PATCH to wait for the client row' },
    );
    await other.query('commit');

    const renamed = await renaming;
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'renamed', admin: false });
    const row = await server.database.db.selectFrom('clients').select(['is_admin', 'scopes', 'name']).where('id', '=', clientId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ is_admin: false, name: 'renamed' });
    expect(row.scopes).not.toContain('admin');
  });
});
