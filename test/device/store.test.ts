import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import {
  createDeviceAuthorization,
  decideDeviceAuthorization,
  findPendingByUserCode,
  pollDeviceCode,
  setDeviceGrantId,
  type DevicePoll,
  type IssuedDeviceAuthorization,
} from '../../src/oauth/device/store.js';
import { hashUserCode, normaliseUserCode } from '../../src/oauth/device/user-code.js';
import { sweepExpired } from '../../src/maintenance/cleanup.js';
import { sha256Hex } from '../../src/opaque-token.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

describe('device authorization store (RFC 8628)', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let userId: string;
  let clientId: string;
  let otherClientId: string;
  const t0 = new Date('2031-03-01T12:00:00Z');
  const at = (offsetMs: number) => new Date(t0.getTime() + offsetMs);

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.handle.db;
    userId = (await makeUser(db, { username: 'device-owner' })).id;
    clientId = (await makeClient(db, { name: 'Living-room TV', type: 'public', redirectUris: ['https://tv.example/cb'] })).clientId;
    otherClientId = (await makeClient(db, { name: 'Other app', redirectUris: ['https://other.example/cb'] })).clientId;
  });
  afterAll(async () => database?.destroy());

  /** A fresh request from the TV at t0: 5 s interval, 10 minutes to live. */
  function issue(overrides: { now?: Date; intervalSeconds?: number; lifetimeSeconds?: number } = {}): Promise<IssuedDeviceAuthorization> {
    return createDeviceAuthorization(db, {
      clientId,
      scope: 'openid profile offline_access',
      audience: 'https://api.example.com',
      intervalSeconds: overrides.intervalSeconds ?? 5,
      lifetimeSeconds: overrides.lifetimeSeconds ?? 600,
      now: overrides.now ?? t0,
    });
  }
  const poll = (deviceCode: string, now: Date, client = clientId) => pollDeviceCode(db, { deviceCode, clientId: client, now });
  const approval = () => ({ approve: { userId, sessionId: randomUUID(), authTime: at(-MINUTE), amr: ['pwd'] } });
  const row = (id: string) => db.selectFrom('device_authorizations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  describe('issuing', () => {
    it('returns an lk_dc_ device code and an XXXX-XXXX user code, and stores only their hashes', async () => {
      const issued = await issue();
      expect(issued.deviceCode).toMatch(/^lk_dc_[A-Za-z0-9_-]{43}$/);
      expect(issued.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect(issued.expiresAt).toEqual(at(600 * SECOND));
      const stored = await row(issued.id);
      expect(stored).toMatchObject({
        device_code_hash: sha256Hex(issued.deviceCode),
        user_code_hash: hashUserCode(normaliseUserCode(issued.userCode)!),
        client_id: clientId,
        status: 'pending',
        interval_seconds: 5,
        user_id: null,
        last_polled_at: null,
      });
      expect(JSON.stringify(stored)).not.toContain(issued.deviceCode);
      expect(JSON.stringify(stored)).not.toContain(issued.userCode.replace('-', ''));
    });

    it('retries once with a new code when the user code clashes, inside a transaction that stays usable', async () => {
      const codes = ['BCDFGHJK', 'BCDFGHJK', 'LMNPQRST'];
      const next = () => codes.shift()!;
      const input = { clientId, scope: 'openid', audience: 'a', intervalSeconds: 5, lifetimeSeconds: 600, now: t0 };
      await db.transaction().execute(async (trx) => {
        const first = await createDeviceAuthorization(trx, input, next);
        const second = await createDeviceAuthorization(trx, input, next);
        expect(first.userCode).toBe('BCDF-GHJK');
        expect(second.userCode).toBe('LMNP-QRST');
        // The clash did not abort the transaction (ON CONFLICT DO NOTHING, not a caught error).
        expect(await trx.selectFrom('device_authorizations').select('id').where('id', 'in', [first.id, second.id]).execute()).toHaveLength(2);
      });
      expect(codes).toEqual([]);
    });

    it('gives up after a second clash in a row', async () => {
      const input = { clientId, scope: 'openid', audience: 'a', intervalSeconds: 5, lifetimeSeconds: 600, now: t0 };
      await createDeviceAuthorization(db, input, () => 'VWXZVWXZ');
      await expect(createDeviceAuthorization(db, input, () => 'VWXZVWXZ')).rejects.toThrow(/clashed twice/);
    });
  });

  describe('the approval page lookup', () => {
    it('finds a pending code however it is typed, with the client name to show', async () => {
      const issued = await issue();
      for (const typed of [issued.userCode, issued.userCode.toLowerCase(), issued.userCode.replace('-', ' '), issued.userCode.replace('-', '')]) {
        expect(await findPendingByUserCode(db, typed, at(MINUTE))).toEqual({
          id: issued.id,
          userCode: issued.userCode,
          clientId,
          clientName: 'Living-room TV',
          scope: 'openid profile offline_access',
          audience: 'https://api.example.com',
          expiresAt: issued.expiresAt,
        });
      }
    });

    it('finds nothing for malformed, unknown, expired or decided codes', async () => {
      const issued = await issue();
      expect(await findPendingByUserCode(db, 'not a code', t0)).toBeUndefined();
      expect(await findPendingByUserCode(db, undefined, t0)).toBeUndefined();
      expect(await findPendingByUserCode(db, 'ZZZZ-ZZZX', t0)).toBeUndefined();
      expect(await findPendingByUserCode(db, issued.userCode, issued.expiresAt)).toBeUndefined();
      expect(await decideDeviceAuthorization(db, issued.id, { deny: true }, at(MINUTE))).toBe(true);
      expect(await findPendingByUserCode(db, issued.userCode, at(2 * MINUTE))).toBeUndefined();
    });
  });

  describe('deciding', () => {
    it('records who approved, with which session and auth_time; a second decision changes nothing', async () => {
      const issued = await issue();
      const decision = approval();
      expect(await decideDeviceAuthorization(db, issued.id, decision, at(MINUTE))).toBe(true);
      expect(await decideDeviceAuthorization(db, issued.id, { deny: true }, at(2 * MINUTE))).toBe(false);
      expect(await row(issued.id)).toMatchObject({
        status: 'approved',
        user_id: userId,
        session_id: decision.approve.sessionId,
        auth_time: decision.approve.authTime,
        decided_at: at(MINUTE),
      });
    });

    it('refuses to decide an expired request, or an id that is not one', async () => {
      const issued = await issue({ lifetimeSeconds: 60 });
      expect(await decideDeviceAuthorization(db, issued.id, approval(), at(60 * SECOND))).toBe(false);
      expect(await decideDeviceAuthorization(db, randomUUID(), approval(), t0)).toBe(false);
      expect(await decideDeviceAuthorization(db, "x' or '1'='1", approval(), t0)).toBe(false);
      expect((await row(issued.id)).status).toBe('pending');
    });

    it('lets exactly one of ten concurrent decisions (two tabs, allow and deny) win', async () => {
      const issued = await issue();
      const decisions = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? approval() : ({ deny: true } as const)));
      const won = await Promise.all(decisions.map((d) => decideDeviceAuthorization(db, issued.id, d, at(MINUTE))));
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = decisions[won.indexOf(true)]!;
      expect((await row(issued.id)).status).toBe('approve' in winner ? 'approved' : 'denied');
    });
  });

  describe('polling (RFC 8628 3.4, 3.5)', () => {
    it('says authorization_pending while the user has not answered, and records the poll', async () => {
      const issued = await issue();
      expect(await poll(issued.deviceCode, at(SECOND))).toEqual({ status: 'authorization_pending' });
      expect((await row(issued.id)).last_polled_at).toEqual(at(SECOND));
      expect(await poll(issued.deviceCode, at(6 * SECOND))).toEqual({ status: 'authorization_pending' });
      expect((await row(issued.id)).last_polled_at).toEqual(at(6 * SECOND));
    });

    it('says slow_down to a poll sooner than the interval, and the interval grows by 5 s each time and stays grown', async () => {
      const issued = await issue();
      expect(await poll(issued.deviceCode, at(0))).toEqual({ status: 'authorization_pending' });
      expect(await poll(issued.deviceCode, at(4 * SECOND))).toEqual({ status: 'slow_down', intervalSeconds: 10 });
      // The interval runs from the last poll, the early one included: 9 s later is too soon for 10 s.
      expect(await poll(issued.deviceCode, at(13 * SECOND))).toEqual({ status: 'slow_down', intervalSeconds: 15 });
      // Exactly the interval after the last poll is on time.
      expect(await poll(issued.deviceCode, at(28 * SECOND))).toEqual({ status: 'authorization_pending' });
      expect(await poll(issued.deviceCode, at(43 * SECOND))).toEqual({ status: 'authorization_pending' });
      expect((await row(issued.id)).interval_seconds).toBe(15);
    });

    it('says access_denied once the user denied', async () => {
      const issued = await issue();
      await decideDeviceAuthorization(db, issued.id, { deny: true }, at(MINUTE));
      expect(await poll(issued.deviceCode, at(MINUTE + SECOND))).toEqual({ status: 'access_denied' });
      expect(await poll(issued.deviceCode, at(MINUTE + 2 * SECOND))).toEqual({ status: 'access_denied' });
    });

    it('says expired_token once the request expired, pending or approved', async () => {
      const pending = await issue({ lifetimeSeconds: 60 });
      expect(await poll(pending.deviceCode, at(60 * SECOND))).toEqual({ status: 'expired_token' });
      const approved = await issue({ lifetimeSeconds: 60 });
      await decideDeviceAuthorization(db, approved.id, approval(), at(59 * SECOND));
      expect(await poll(approved.deviceCode, at(61 * SECOND))).toEqual({ status: 'expired_token' });
      expect((await row(approved.id)).status).toBe('approved');
    });

    it('hands out an approval once; the same code again is a replay that names the grant to revoke', async () => {
      const issued = await issue();
      const decision = approval();
      await decideDeviceAuthorization(db, issued.id, decision, at(MINUTE));
      const first = await poll(issued.deviceCode, at(MINUTE + SECOND));
      expect(first).toEqual({
        status: 'approved',
        authorization: {
          id: issued.id,
          clientId,
          userId,
          sessionId: decision.approve.sessionId,
          authTime: decision.approve.authTime,
          amr: ['pwd'],
          scope: 'openid profile offline_access',
          audience: 'https://api.example.com',
        },
      });
      expect(await row(issued.id)).toMatchObject({ status: 'consumed', consumed_at: at(MINUTE + SECOND) });
      expect(await poll(issued.deviceCode, at(MINUTE + 10 * SECOND))).toEqual({
        status: 'invalid_grant', reason: 'replayed', id: issued.id, clientId, userId, grantId: null,
      });
      const grantId = randomUUID();
      expect(await setDeviceGrantId(db, issued.id, grantId)).toBe(true);
      expect(await setDeviceGrantId(db, issued.id, randomUUID())).toBe(false);
      // Replays are recognised after expiry too (the row is kept a day for this).
      expect(await poll(issued.deviceCode, at(DAY))).toMatchObject({ status: 'invalid_grant', reason: 'replayed', grantId });
    });

    it('links a grant only to a consumed authorization', async () => {
      const issued = await issue();
      expect(await setDeviceGrantId(db, issued.id, randomUUID())).toBe(false);
      await decideDeviceAuthorization(db, issued.id, approval(), at(MINUTE));
      expect(await setDeviceGrantId(db, issued.id, randomUUID())).toBe(false);
    });

    it('says invalid_grant to unknown and malformed codes', async () => {
      expect(await poll(`lk_dc_${'A'.repeat(43)}`, t0)).toEqual({ status: 'invalid_grant', reason: 'unknown' });
      expect(await poll('lk_ac_whatever', t0)).toEqual({ status: 'invalid_grant', reason: 'unknown' });
      expect(await poll('', t0)).toEqual({ status: 'invalid_grant', reason: 'unknown' });
      expect(await poll(`lk_dc_${'A'.repeat(1000)}`, t0)).toEqual({ status: 'invalid_grant', reason: 'unknown' });
    });

    it("says invalid_grant to another client's poll, and leaves the device's request untouched", async () => {
      const issued = await issue();
      await poll(issued.deviceCode, at(SECOND));
      expect(await poll(issued.deviceCode, at(2 * SECOND), otherClientId)).toEqual({ status: 'invalid_grant', reason: 'wrong_client' });
      expect(await row(issued.id)).toMatchObject({ last_polled_at: at(SECOND), interval_seconds: 5, status: 'pending' });
      await decideDeviceAuthorization(db, issued.id, approval(), at(MINUTE));
      expect(await poll(issued.deviceCode, at(MINUTE + SECOND), otherClientId)).toEqual({ status: 'invalid_grant', reason: 'wrong_client' });
      expect((await poll(issued.deviceCode, at(MINUTE + 2 * SECOND))).status).toBe('approved');
    });

    it('gives an approval to exactly one of ten concurrent polls; the others get invalid_grant', async () => {
      const issued = await issue();
      await decideDeviceAuthorization(db, issued.id, approval(), at(MINUTE));
      const results: DevicePoll[] = await Promise.all(Array.from({ length: 10 }, () => poll(issued.deviceCode, at(MINUTE + SECOND))));
      expect(results.filter((r) => r.status === 'approved')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'invalid_grant' && r.reason === 'replayed')).toHaveLength(9);
    });

    it('polled in the transaction that links the grant, every losing concurrent poll sees the grant to revoke', async () => {
      const issued = await issue();
      await decideDeviceAuthorization(db, issued.id, approval(), at(MINUTE));
      const grantId = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          db.transaction().execute(async (trx) => {
            const result = await pollDeviceCode(trx, { deviceCode: issued.deviceCode, clientId, now: at(MINUTE + SECOND) });
            if (result.status === 'approved') expect(await setDeviceGrantId(trx, result.authorization.id, grantId)).toBe(true);
            return result;
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'approved')).toHaveLength(1);
      const replays = results.filter((r) => r.status === 'invalid_grant' && r.reason === 'replayed');
      expect(replays).toHaveLength(9);
      for (const replay of replays) expect(replay).toMatchObject({ grantId });
    });

    it('serialises concurrent pending polls: the first is on time, each later one slows the device by 5 s more', async () => {
      const issued = await issue();
      const results = await Promise.all(Array.from({ length: 10 }, () => poll(issued.deviceCode, at(SECOND))));
      expect(results.filter((r) => r.status === 'authorization_pending')).toHaveLength(1);
      const intervals = results.flatMap((r) => (r.status === 'slow_down' ? [r.intervalSeconds] : [])).sort((a, b) => a - b);
      expect(intervals).toEqual([10, 15, 20, 25, 30, 35, 40, 45, 50]);
      expect((await row(issued.id)).interval_seconds).toBe(50);
    });

    it('runs the ten concurrent polls on ten connections when on Postgres', () => {
      // The two tests above are real races only with a pool; PGlite has one connection and queues them.
      if (usingPostgres) expect(database.handle.poolStats?.().total).toBeGreaterThan(1);
    });
  });

  describe('cleanup', () => {
    it('removes requests a day after they expired, keeping younger ones for replay detection', async () => {
      const old = await issue({ now: at(-2 * DAY), lifetimeSeconds: 600 });
      const recent = await issue({ now: at(-2 * 60 * MINUTE), lifetimeSeconds: 600 });
      const live = await issue();
      const removed = await sweepExpired(db, t0);
      expect(removed.device_authorizations).toBeGreaterThanOrEqual(1);
      const left = new Set((await db.selectFrom('device_authorizations').select('id').execute()).map((r) => r.id));
      expect(left.has(old.id)).toBe(false);
      expect(left.has(recent.id)).toBe(true);
      expect(left.has(live.id)).toBe(true);
      expect((await sweepExpired(db, t0)).device_authorizations).toBe(0);
    });

    it('goes with its client', async () => {
      const { clientId: doomed } = await makeClient(db, { name: 'Doomed', type: 'public', redirectUris: ['https://tv.example/cb'] });
      const issued = await createDeviceAuthorization(db, { clientId: doomed, scope: 'openid', audience: 'a', intervalSeconds: 5, lifetimeSeconds: 600, now: t0 });
      await db.deleteFrom('clients').where('id', '=', doomed).execute();
      expect(await db.selectFrom('device_authorizations').select('id').where('id', '=', issued.id).execute()).toEqual([]);
    });
  });
});
