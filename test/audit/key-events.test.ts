import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ensureActiveKey, rotate, rotateIfDue, rotateNow, type RotationDeps } from '../../src/keys/rotation.js';
import { rotationDeps } from '../../src/keys/setup.js';
import { listKeys } from '../../src/keys/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { testConfig } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { auditCursor, auditRows, SECRET_MARKERS } from './support.js';

const SECOND = 1000;
const config = testConfig({ ACCESS_TOKEN_TTL: '300', KEY_ROTATION_INTERVAL: '3600' });
const T0 = Date.parse('2031-03-01T00:00:00Z');
const iso = (millis: number) => new Date(millis).toISOString();

describe('audit events of the signing key ring', () => {
  let database: TestDatabase;
  let clock: ManualClock;
  let deps: RotationDeps;
  let cursor: ReturnType<typeof auditCursor>;
  let logged: { details: { audit?: { type: string; details?: Record<string, unknown> } }; message: string }[];
  const events = async () => (await cursor.next()).map((row) => ({ type: row.type, user_id: row.user_id, client_id: row.client_id, details: row.details }));

  beforeAll(async () => {
    database = await createTestDatabase();
    cursor = auditCursor(database.handle.db);
  });
  afterAll(async () => database?.destroy());
  beforeEach(async () => {
    await sql`delete from signing_keys`.execute(database.handle.db);
    await cursor.skip();
    clock = new ManualClock(T0);
    logged = [];
    deps = { ...rotationDeps(database.handle.db, config, clock), log: { info: (details, message) => void logged.push({ details, message }) } };
  });

  it('the first key: key_created and key_activated, with no user or client, in the log too', async () => {
    const first = (await ensureActiveKey(deps))!;
    expect(await events()).toEqual([
      { type: 'key_created', user_id: null, client_id: null, details: { kid: first.kid, alg: 'ES256', activatesAt: iso(T0) } },
      { type: 'key_activated', user_id: null, client_id: null, details: { kid: first.kid, activatesAt: iso(T0) } },
    ]);
    expect(logged.map((line) => [line.message, line.details.audit?.type, line.details.audit?.details?.kid])).toEqual([
      ['audit key_created', 'key_created', first.kid],
      ['audit key_activated', 'key_activated', first.kid],
    ]);
    // a second start finds the key: nothing happens, nothing is recorded
    expect(await ensureActiveKey(deps)).toBeUndefined();
    expect(await events()).toEqual([]);
  });

  it('keys rotate: key_created for the next key and key_retired for the current one at its activation', async () => {
    const first = (await ensureActiveKey(deps))!;
    await events();
    clock.advance(10 * SECOND);
    const result = await rotate(deps);
    expect(result.outcome).toBe('scheduled');
    const retiresAt = result.retiring[0]!.retiresAt!;
    expect(retiresAt).toBe(result.key.activatesAt);
    expect(await events()).toEqual([
      { type: 'key_created', user_id: null, client_id: null, details: { kid: result.key.kid, alg: 'ES256', activatesAt: iso(result.key.activatesAt) } },
      { type: 'key_retired', user_id: null, client_id: null, details: { kid: first.kid, retiresAt: iso(retiresAt) } },
    ]);
    // a next key already waits: nothing changes, nothing is recorded
    await rotate(deps);
    expect(await events()).toEqual([]);
  });

  it('keys rotate --now: the waiting key is activated at once and the current key retired now', async () => {
    const first = (await ensureActiveKey(deps))!;
    const scheduled = await rotate(deps);
    await events();
    clock.advance(5 * SECOND);
    const result = await rotateNow(deps);
    expect(result.key.kid).toBe(scheduled.key.kid);
    expect(await events()).toEqual([
      { type: 'key_activated', user_id: null, client_id: null, details: { kid: scheduled.key.kid, activatesAt: iso(T0 + 5 * SECOND) } },
      { type: 'key_retired', user_id: null, client_id: null, details: { kid: first.kid, retiresAt: iso(T0 + 5 * SECOND) } },
    ]);
  });

  it('keys rotate --now without a waiting key: created, activated, and the current key retired', async () => {
    const first = (await ensureActiveKey(deps))!;
    await events();
    clock.advance(SECOND);
    const result = await rotateNow(deps);
    const now = iso(T0 + SECOND);
    expect(await events()).toEqual([
      { type: 'key_created', user_id: null, client_id: null, details: { kid: result.key.kid, alg: 'ES256', activatesAt: now } },
      { type: 'key_activated', user_id: null, client_id: null, details: { kid: result.key.kid, activatesAt: now } },
      { type: 'key_retired', user_id: null, client_id: null, details: { kid: first.kid, retiresAt: now } },
    ]);
  });

  it('the scheduled rotation: key_created for the successor, key_retired for the key it replaces', async () => {
    const first = (await ensureActiveKey(deps))!;
    await events();
    expect(await rotateIfDue(deps)).toBe('not due');
    expect(await events()).toEqual([]);
    clock.advance(3600 * SECOND);
    expect(await rotateIfDue(deps)).toBe('rotated');
    const next = (await listKeys(database.handle.db)).find((key) => key.kid !== first.kid)!;
    expect(await events()).toEqual([
      { type: 'key_created', user_id: null, client_id: null, details: { kid: next.kid, alg: 'ES256', activatesAt: iso(next.activatesAt) } },
      { type: 'key_retired', user_id: null, client_id: null, details: { kid: first.kid, retiresAt: iso(next.activatesAt) } },
    ]);
  });

  it('the audit row is part of the key change: a rolled-back rotation leaves neither row nor log line', async () => {
    await ensureActiveKey(deps);
    await events();
    logged = [];
    const keysBefore = await listKeys(database.handle.db);
    // key_created is inserted, then the key_activated row fails: the transaction rolls back,
    // the key and key_created with it, and no log line reports what never committed
    await sql`create function refuse_key_activated() returns trigger language plpgsql as $$
      begin if new.type = 'key_activated' then raise exception 'audit insert refused'; end if; return new; end $$`.execute(database.handle.db);
    await sql`create trigger refuse_key_activated before insert on audit_events for each row execute function refuse_key_activated()`.execute(database.handle.db);
    try {
      clock.advance(SECOND);
      await expect(rotateNow(deps)).rejects.toThrow('audit insert refused');
    } finally {
      await sql`drop trigger refuse_key_activated on audit_events`.execute(database.handle.db);
      await sql`drop function refuse_key_activated()`.execute(database.handle.db);
    }
    expect(await events()).toEqual([]);
    expect(logged).toEqual([]);
    expect(await listKeys(database.handle.db)).toEqual(keysBefore);
  });

  it('log lines follow the commit: a failing log line no longer undoes the key change it reports', async () => {
    await ensureActiveKey(deps);
    await events();
    const failing: RotationDeps = {
      ...deps,
      log: {
        info: (details: { audit?: { type: string } }) => {
          if (details.audit?.type === 'key_activated') throw new Error('log failed');
        },
      },
    };
    clock.advance(SECOND);
    await expect(rotateNow(failing)).rejects.toThrow('log failed');
    expect((await events()).map((event) => event.type)).toEqual(['key_created', 'key_activated', 'key_retired']);
  });

  it('key rows hold no private key material', async () => {
    await ensureActiveKey(deps);
    await rotateNow(deps);
    const text = JSON.stringify(await auditRows(database.handle.db));
    for (const marker of SECRET_MARKERS) expect(text).not.toContain(marker);
    for (const key of await listKeys(database.handle.db)) expect(text).not.toContain(key.privateKeyEncrypted);
    expect(text).not.toMatch(/"d":/);
  });
});
