import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { startSession, type Admission, type SessionStart } from '../../src/login/session-start-store.js';
import { findPendingRequest, savePendingRequest } from '../../src/oauth/authorize/request-store.js';
import { sha256Hex } from '../../src/opaque-token.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';

// The one statement that starts a session (src/login/session-start-store.ts): everything or
// nothing, on real Postgres or PGlite.

const LIFETIMES = { idleSeconds: 3600, absoluteSeconds: 86_400 };
const LOCKED_UNTIL = new Date(Date.UTC(2100, 0, 1));

describe('starting a session in one statement', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let clientId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.handle.db;
    clientId = (await makeClient(db, { redirectUris: ['https://app.example.com/cb'] })).clientId;
  });
  afterAll(async () => database?.destroy());

  async function scene(options: { locked?: boolean; disabled?: boolean } = {}) {
    const user = await makeUser(db);
    await db
      .updateTable('users')
      .set({ failed_logins: 3, locked_until: options.locked ? LOCKED_UNTIL : null, disabled: options.disabled ?? false })
      .where('id', '=', user.id)
      .execute();
    const now = new Date();
    const pendingId = await savePendingRequest(db, 'authorization_code', { clientId, scope: 'openid' }, now);
    const input = (admission: Admission): SessionStart => ({
      userId: user.id,
      amr: ['pwd'],
      now,
      lifetimes: LIFETIMES,
      ip: '203.0.113.7',
      userAgent: 'test agent',
      previousCookie: undefined,
      pendingId,
      clientId,
      admission,
    });
    // The session this browser holds already: started the same way, for an earlier sign-in.
    const earlierPending = await savePendingRequest(db, 'authorization_code', { clientId, scope: 'openid' }, now);
    const earlier = await startSession(db, { ...input('none'), previousCookie: undefined, pendingId: earlierPending });
    const previous = { cookieValue: earlier!.cookieValue, session: { id: earlier!.sessionId } };
    await db.deleteFrom('audit_events').where('user_id', '=', user.id).execute();
    return { user, now, pendingId, previous, input: (admission: Admission) => ({ ...input(admission), previousCookie: previous.cookieValue }) };
  }

  const sessionsOf = (userId: string) => db.selectFrom('login_sessions').select(['id', 'ended_at', 'token_hash', 'amr', 'ip', 'user_agent']).where('user_id', '=', userId).execute();
  const auditOf = (userId: string) => db.selectFrom('audit_events').select(['type', 'client_id', 'ip', 'details']).where('user_id', '=', userId).execute();
  const userRow = (userId: string) => db.selectFrom('users').select(['failed_logins', 'locked_until']).where('id', '=', userId).executeTakeFirstOrThrow();

  it('admits the user, ends the old session, starts the new one, audits it and ties it to the pending request', async () => {
    const { user, now, pendingId, previous, input } = await scene();
    const started = await startSession(db, input('unless_locked'));
    expect(started).toBeDefined();

    const sessions = await sessionsOf(user.id);
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.id === previous.session.id)?.ended_at?.getTime()).toBe(now.getTime());
    const fresh = sessions.find((s) => s.id === started!.sessionId)!;
    expect(fresh).toMatchObject({ ended_at: null, token_hash: sha256Hex(started!.cookieValue), amr: ['pwd'], ip: '203.0.113.7', user_agent: 'test agent' });
    expect(await auditOf(user.id)).toEqual([{ type: 'login_succeeded', client_id: clientId, ip: '203.0.113.7', details: { sessionId: started!.sessionId, amr: 'pwd' } }]);
    expect((await findPendingRequest(db, pendingId, now))?.loginSessionId).toBe(started!.sessionId);
    expect(await userRow(user.id)).toEqual({ failed_logins: 0, locked_until: null });
  });

  it.each([
    ['locked', { locked: true }],
    ['disabled', { disabled: true }],
  ])('writes nothing at all for a %s account when the admission is unless_locked', async (_name, options) => {
    const { user, now, pendingId, previous, input } = await scene(options);
    expect(await startSession(db, input('unless_locked'))).toBeUndefined();

    const sessions = await sessionsOf(user.id);
    expect(sessions.map((s) => [s.id, s.ended_at])).toEqual([[previous.session.id, null]]);
    expect(await auditOf(user.id)).toEqual([]);
    expect((await findPendingRequest(db, pendingId, now))?.loginSessionId).toBeNull();
    expect((await userRow(user.id)).failed_logins).toBe(3);
  });

  it('starts the session of a trusted device on a locked account and leaves the lock for everyone else', async () => {
    const { user, input } = await scene({ locked: true });
    expect(await startSession(db, input('clear_if_unlocked'))).toBeDefined();
    expect(await userRow(user.id)).toEqual({ failed_logins: 3, locked_until: LOCKED_UNTIL });
    expect((await sessionsOf(user.id)).filter((s) => s.ended_at === null)).toHaveLength(1);
  });

  it('leaves the user row alone for a passkey (admission none), and never ends a session it was not shown', async () => {
    const { user, previous, input } = await scene();
    const started = await startSession(db, { ...input('none'), previousCookie: undefined, amr: ['hwk', 'mfa'] });
    expect(started).toBeDefined();
    expect(await userRow(user.id)).toEqual({ failed_logins: 3, locked_until: null });
    const sessions = await sessionsOf(user.id);
    expect(sessions.filter((s) => s.ended_at === null).map((s) => s.id).sort()).toEqual([previous.session.id, started!.sessionId].sort());
    expect((await auditOf(user.id))[0]?.details).toEqual({ sessionId: started!.sessionId, amr: 'hwk mfa' });
  });

  it('rolls back every write when a later one fails (the audit row, refused by a trigger)', async () => {
    const { user, now, pendingId, previous, input } = await scene();
    const refusedIp = '198.51.100.66';
    await sql`create or replace function refuse_test_audit() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`.execute(db);
    await sql`create trigger refuse_test_audit before insert on audit_events for each row when (new.ip = ${sql.lit(refusedIp)}) execute function refuse_test_audit()`.execute(db);
    try {
      await expect(startSession(db, { ...input('unless_locked'), ip: refusedIp })).rejects.toThrow(/refused by the test/);
    } finally {
      await sql`drop trigger refuse_test_audit on audit_events`.execute(db);
    }
    // The user update, the old session's end and the new session ran before the audit insert: all undone.
    expect((await sessionsOf(user.id)).map((s) => [s.id, s.ended_at])).toEqual([[previous.session.id, null]]);
    expect(await auditOf(user.id)).toEqual([]);
    expect((await findPendingRequest(db, pendingId, now))?.loginSessionId).toBeNull();
    expect((await userRow(user.id)).failed_logins).toBe(3);
  });
});
