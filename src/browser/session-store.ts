import type { Queryable } from '../db/queryable.js';
import type { LoginSessionRow } from '../db/tables/sign-in.js';
import { jsonb } from '../db/json.js';
import { newOpaqueToken, sha256Hex, TOKEN_PREFIX } from '../opaque-token.js';
import { storedAmr, withFactors } from '../users/assurance.js';

export interface SessionLifetimes {
  idleSeconds: number;
  absoluteSeconds: number;
}

export interface ActiveSession {
  id: string;
  userId: string;
  /** When the first factor was presented (ID tokens' auth_time; max_age and /account's freshness). */
  authTime: Date;
  /** How the user authenticated in this session (RFC 8176; users/assurance.ts gives its level). */
  amr: string[];
}

/**
 * A further factor verified in a live session (a second factor after the password, a step-up to
 * level 2): its amr values join the session's, and the session gets a new cookie value (the old
 * one stops working), so a value observed before the step-up never carries its level. Returns the
 * new cookie value and amr; undefined when the session ended meanwhile.
 */
export async function addSessionFactors(q: Queryable, sessionId: string, added: readonly string[]): Promise<{ cookieValue: string; amr: string[] } | undefined> {
  const row = await q.selectFrom('login_sessions').select('amr').where('id', '=', sessionId).where('ended_at', 'is', null).forUpdate().executeTakeFirst();
  if (!row) return undefined;
  const amr = withFactors(storedAmr(row.amr), added);
  const cookieValue = newOpaqueToken(TOKEN_PREFIX.session);
  await q.updateTable('login_sessions').set({ amr: jsonb(amr), token_hash: sha256Hex(cookieValue) }).where('id', '=', sessionId).execute();
  return { cookieValue, amr };
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
  return { id: row.id, userId: row.user_id, authTime: row.auth_time, amr: storedAmr(row.amr) };
}

export async function endSession(q: Queryable, sessionId: string, now: Date): Promise<void> {
  await q.updateTable('login_sessions').set({ ended_at: now }).where('id', '=', sessionId).where('ended_at', 'is', null).execute();
}

export interface SessionSummary {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  ip: string | null;
  userAgent: string | null;
  amr: string[];
}

export async function listUserSessions(q: Queryable, userId: string): Promise<SessionSummary[]> {
  const rows = await q.selectFrom('login_sessions').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(500).execute();
  return rows.map((s) => ({ id: s.id, createdAt: s.created_at, lastSeenAt: s.last_seen_at, expiresAt: s.expires_at, endedAt: s.ended_at, ip: s.ip, userAgent: s.user_agent, amr: storedAmr(s.amr) }));
}

/** Ends one session of this user; false when it is not theirs or already ended (never another user's). */
export async function endOwnSession(q: Queryable, userId: string, sessionId: string, now: Date): Promise<boolean> {
  const result = await q
    .updateTable('login_sessions')
    .set({ ended_at: now })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Ends every open session of a user but one (a password change keeps the browser that made it). */
export async function endOtherSessions(q: Queryable, userId: string, keepSessionId: string, now: Date): Promise<number> {
  const result = await q
    .updateTable('login_sessions')
    .set({ ended_at: now })
    .where('user_id', '=', userId)
    .where('id', '<>', keepSessionId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
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
