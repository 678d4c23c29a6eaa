import type { Queryable } from '../db/queryable.js';
import { randomUUID } from 'node:crypto';
import type { LoginSessionRow } from '../db/tables/sign-in.js';
import { newOpaqueToken, sha256Hex, TOKEN_PREFIX } from '../opaque-token.js';

export interface SessionLifetimes {
  idleSeconds: number;
  absoluteSeconds: number;
}

export interface ActiveSession {
  id: string;
  userId: string;
  authTime: Date;
}

/** Starts a browser session; returns the cookie value (shown once) and the session. */
export async function createSession(
  q: Queryable,
  input: { userId: string; now: Date; lifetimes: SessionLifetimes; ip?: string; userAgent?: string },
): Promise<{ cookieValue: string; session: ActiveSession }> {
  const cookieValue = newOpaqueToken(TOKEN_PREFIX.session);
  const id = randomUUID();
  await q
    .insertInto('login_sessions')
    .values({
      id,
      token_hash: sha256Hex(cookieValue),
      user_id: input.userId,
      auth_time: input.now,
      created_at: input.now,
      last_seen_at: input.now,
      expires_at: new Date(input.now.getTime() + input.lifetimes.absoluteSeconds * 1000),
      ip: input.ip?.slice(0, 100) ?? null,
      user_agent: input.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
  return { cookieValue, session: { id, userId: input.userId, authTime: input.now } };
}

function isLive(row: LoginSessionRow, now: Date, lifetimes: SessionLifetimes): boolean {
  if (row.ended_at) return false;
  if (row.expires_at.getTime() <= now.getTime()) return false;
  return now.getTime() - row.last_seen_at.getTime() < lifetimes.idleSeconds * 1000;
}

/**
 * The live session behind a cookie value, touching its idle timer; undefined when the cookie is
 * unknown, ended, idle too long, past its absolute lifetime, or its user is disabled.
 */
export async function findActiveSession(
  q: Queryable,
  cookieValue: string | undefined,
  now: Date,
  lifetimes: SessionLifetimes,
): Promise<ActiveSession | undefined> {
  if (!cookieValue || !cookieValue.startsWith(TOKEN_PREFIX.session) || cookieValue.length > 100) return undefined;
  const row = await q
    .selectFrom('login_sessions')
    .innerJoin('users', 'users.id', 'login_sessions.user_id')
    .selectAll('login_sessions')
    .select('users.disabled')
    .where('token_hash', '=', sha256Hex(cookieValue))
    .executeTakeFirst();
  if (!row || row.disabled || !isLive(row, now, lifetimes)) return undefined;
  await q.updateTable('login_sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
  return { id: row.id, userId: row.user_id, authTime: row.auth_time };
}

export async function endSession(q: Queryable, sessionId: string, now: Date): Promise<void> {
  await q.updateTable('login_sessions').set({ ended_at: now }).where('id', '=', sessionId).where('ended_at', 'is', null).execute();
}

export async function endSessionByCookie(q: Queryable, cookieValue: string | undefined, now: Date): Promise<string | undefined> {
  if (!cookieValue || cookieValue.length > 100) return undefined;
  const row = await q
    .updateTable('login_sessions')
    .set({ ended_at: now })
    .where('token_hash', '=', sha256Hex(cookieValue))
    .where('ended_at', 'is', null)
    .returning(['id', 'user_id'])
    .executeTakeFirst();
  return row?.id;
}

export interface SessionSummary {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  ip: string | null;
  userAgent: string | null;
}

export async function listUserSessions(q: Queryable, userId: string): Promise<SessionSummary[]> {
  const rows = await q.selectFrom('login_sessions').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(500).execute();
  return rows.map((s) => ({ id: s.id, createdAt: s.created_at, lastSeenAt: s.last_seen_at, expiresAt: s.expires_at, endedAt: s.ended_at, ip: s.ip, userAgent: s.user_agent }));
}

/** Ends every open browser session of a user; returns how many. */
export async function endUserSessions(q: Queryable, userId: string, now: Date): Promise<number> {
  const result = await q.updateTable('login_sessions').set({ ended_at: now }).where('user_id', '=', userId).where('ended_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function findSessionOwner(q: Queryable, sessionId: string): Promise<string | undefined> {
  const row = await q.selectFrom('login_sessions').select('user_id').where('id', '=', sessionId).executeTakeFirst();
  return row?.user_id;
}

/** The not-yet-ended session a cookie value names (live or not), for logout. */
export async function findOpenSessionByCookie(q: Queryable, cookieValue: string | undefined): Promise<{ id: string; userId: string } | undefined> {
  if (!cookieValue || !cookieValue.startsWith(TOKEN_PREFIX.session) || cookieValue.length > 100) return undefined;
  const row = await q
    .selectFrom('login_sessions')
    .select(['id', 'user_id'])
    .where('token_hash', '=', sha256Hex(cookieValue))
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return row && { id: row.id, userId: row.user_id };
}
