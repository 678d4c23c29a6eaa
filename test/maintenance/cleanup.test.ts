import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { sweepExpired } from '../../src/maintenance/cleanup.js';
import { openDatabase } from '../../src/db/connect.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('cleanup of expired rows', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let userId: string;
  let clientId: string;
  const now = new Date();
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);

  async function grant(id: string, idleExpires: Date, absoluteExpires: Date) {
    await db.insertInto('grants').values({
      id, client_id: clientId, user_id: userId, session_id: null, scope: 'openid', audience: 'x', auth_time: now, nonce: null,
      created_at: at(-40 * DAY), last_used_at: at(-2 * DAY), idle_expires_at: idleExpires, absolute_expires_at: absoluteExpires,
    }).execute();
    await db.insertInto('refresh_tokens').values({ token_hash: `h-${id}`, grant_id: id, created_at: at(-2 * DAY) }).execute();
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.handle.db;
    userId = (await makeUser(db, { username: 'sweeper' })).id;
    clientId = (await makeClient(db, { redirectUris: ['https://a.example/cb'] })).clientId;
  });
  afterAll(async () => database?.destroy());

  it('a stopping sweep deletes nothing more: shutdown never waits for a backlog', async () => {
    await sql`
      insert into authorization_requests (id, client_id, params, created_at, expires_at)
      select 'stop-' || n, ${clientId}, '{}'::jsonb, ${at(-HOUR)}, ${at(-1000)}
      from generate_series(1, 3000) as n`.execute(db);
    const stopping = new AbortController();
    stopping.abort();
    const removed = await sweepExpired(db, now, 60_000, stopping.signal);
    expect(Object.values(removed).every((n) => n === 0)).toBe(true);
    const left = await db.selectFrom('authorization_requests').select(({ fn }) => fn.countAll<string>().as('n')).where('id', 'like', 'stop-%').executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(3000);
    await sweepExpired(db, now);
  });

  it('removes what expired, keeps what may still reveal a replay or is live, in batches', async () => {
    const deadGrant = randomUUID();
    const liveGrant = randomUUID();
    const recentlyExpiredGrant = randomUUID();
    await grant(deadGrant, at(-3 * DAY), at(10 * DAY));
    await grant(liveGrant, at(DAY), at(10 * DAY));
    await grant(recentlyExpiredGrant, at(-HOUR), at(10 * DAY));
    const jtis = Array.from({ length: 1200 }, (_, i) => ({ jti: `old-${i}`, expires_at: at(-2 * DAY) }));
    for (let i = 0; i < jtis.length; i += 400) await db.insertInto('revoked_jtis').values(jtis.slice(i, i + 400)).execute();
    await db.insertInto('revoked_jtis').values({ jti: 'current', expires_at: at(HOUR) }).execute();
    const code = (hash: string, expires: Date) => ({
      code_hash: hash, client_id: clientId, user_id: userId, session_id: randomUUID(), redirect_uri: 'https://a.example/cb', scope: 'openid', audience: 'x',
      nonce: null, code_challenge: 'c', auth_time: now, created_at: expires, expires_at: expires,
    });
    await db.insertInto('auth_codes').values([code('old-code', at(-2 * DAY)), code('recent-code', at(-HOUR))]).execute();
    await db.insertInto('authorization_requests').values([
      { id: 'expired-request', client_id: clientId, params: '{}', created_at: at(-HOUR), expires_at: at(-1000) },
      { id: 'pending-request', client_id: clientId, params: '{}', created_at: now, expires_at: at(HOUR) },
    ]).execute();

    const removed = await sweepExpired(db, now);
    expect(removed).toMatchObject({ revoked_jtis: 1200, grants: 1, auth_codes: 1, authorization_requests: 1 });

    expect((await db.selectFrom('revoked_jtis').select('jti').execute()).map((r) => r.jti)).toEqual(['current']);
    expect((await db.selectFrom('grants').select('id').execute()).map((r) => r.id).sort()).toEqual([liveGrant, recentlyExpiredGrant].sort());
    expect(await db.selectFrom('refresh_tokens').select('token_hash').where('grant_id', '=', deadGrant).execute()).toEqual([]);
    expect((await db.selectFrom('auth_codes').select('code_hash').execute()).map((r) => r.code_hash)).toEqual(['recent-code']);
    expect((await db.selectFrom('authorization_requests').select('id').execute()).map((r) => r.id)).toEqual(['pending-request']);
    expect(await sweepExpired(db, now)).toMatchObject({ revoked_jtis: 0, grants: 0 });
  });

  // PGlite has a single connection: a second session holding a row lock needs real Postgres.
  it.skipIf(!usingPostgres)('skips rows another transaction holds instead of waiting for them (needs a second Postgres session)', async () => {
    await db.insertInto('revoked_jtis').values([{ jti: 'locked', expires_at: at(-2 * DAY) }, { jti: 'free', expires_at: at(-2 * DAY) }]).execute();
    const other = await openDatabase({ databaseUrl: database.url, dataDir: '' });
    try {
      await other.db.transaction().execute(async (trx) => {
        await trx.selectFrom('revoked_jtis').select('jti').where('jti', '=', 'locked').forUpdate().execute();
        const started = Date.now();
        const removed = await sweepExpired(db, now);
        expect(Date.now() - started).toBeLessThan(3000);
        expect(removed.revoked_jtis).toBe(1);
      });
    } finally {
      await other.close();
    }
    expect((await db.selectFrom('revoked_jtis').select('jti').where('jti', 'in', ['locked', 'free']).execute()).map((r) => r.jti)).toEqual(['locked']);
  });
});
