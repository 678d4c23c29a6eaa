import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { insertAuditEventsFrom } from '../audit/store.js';
import type { SessionLifetimes } from '../browser/session-store.js';
import { executePrepared } from '../db/prepared.js';
import type { Queryable } from '../db/queryable.js';
import { newOpaqueToken, sha256Hex, TOKEN_PREFIX } from '../opaque-token.js';

/**
 * What the statement does to the user's row before the session starts:
 * - unless_locked: clears the failure count, and starts nothing if the account is locked or
 *   disabled at this moment (a correct password racing a burst of wrong ones cannot slip past
 *   the lock the burst has just set: the condition sits in the UPDATE itself);
 * - clear_if_unlocked: clears the count of an unlocked account and starts the session either way
 *   (a trusted device: a running lock strangers caused stays for them, not for this browser);
 * - none: the row is not touched (a passkey: no password count to clear).
 */
export type Admission = 'unless_locked' | 'clear_if_unlocked' | 'none';

export interface SessionStart {
  userId: string;
  amr: string[];
  now: Date;
  lifetimes: SessionLifetimes;
  ip: string | undefined;
  userAgent: string | undefined;
  /** The cookie of the session this browser held before: it ends (a login never reuses one). */
  previousCookie: string | undefined;
  /** The pending authorization request the login was made for, and its client (for the audit row). */
  pendingId: string;
  clientId: string;
  admission: Admission;
}

const ADMIT_UPDATE = sql`update users set failed_logins = 0, locked_until = null`;

/**
 * The old session ends, the user's row is admitted, the new session starts, the login is
 * audited and tied to the pending request: one statement, so all or nothing with one round trip
 * and one commit (a transaction of the same writes took six round trips and most of a login's
 * database time; README, Performance). Undefined when the admission refused (unless_locked on a
 * locked or disabled account): then nothing was written.
 */
export async function startSession(q: Queryable, input: SessionStart): Promise<{ cookieValue: string; sessionId: string } | undefined> {
  const cookieValue = newOpaqueToken(TOKEN_PREFIX.session);
  const sessionId = randomUUID();
  const previousHash = input.previousCookie && input.previousCookie.length <= 100 ? sha256Hex(input.previousCookie) : null;
  const expiresAt = new Date(input.now.getTime() + input.lifetimes.absoluteSeconds * 1000);
  const admitted =
    input.admission === 'none'
      ? sql`select ${input.userId}::uuid as id`
      : sql`${ADMIT_UPDATE} where id = ${input.userId} and disabled = false and (locked_until is null or locked_until <= ${input.now}::timestamptz) returning id`;
  // Which user the session is for: the admitted row, or (clear_if_unlocked, none) the user anyway.
  const starts = input.admission === 'unless_locked' ? sql`select id from admitted` : sql`select ${input.userId}::uuid as id`;
  const result = await executePrepared(
    q,
    `start_session_${input.admission}`,
    sql<{ id: string }>`with admitted as (${admitted}),
      ended as (update login_sessions set ended_at = ${input.now}::timestamptz where token_hash = ${previousHash}::text and ended_at is null and exists (${starts})),
      started as (
        insert into login_sessions (id, token_hash, user_id, auth_time, created_at, last_seen_at, expires_at, ip, user_agent, amr)
        select ${sessionId}::uuid, ${sha256Hex(cookieValue)}, s.id, ${input.now}::timestamptz, ${input.now}::timestamptz, ${input.now}::timestamptz,
          ${expiresAt}::timestamptz, ${input.ip?.slice(0, 100) ?? null}::text, ${input.userAgent?.slice(0, 512) ?? null}::text, ${JSON.stringify(input.amr)}::jsonb
        from (${starts}) s
        returning id, user_id
      ),
      audited as (${insertAuditEventsFrom('started', {
        type: 'login_succeeded',
        userId: sql`started.user_id`,
        clientId: sql`${input.clientId}::text`,
        ip: input.ip ?? null,
        details: sql`jsonb_build_object('sessionId', started.id, 'amr', ${input.amr.join(' ')}::text)`,
      })}),
      linked as (update authorization_requests set login_session_id = ${sessionId}::uuid where id = ${input.pendingId} and exists (select 1 from started))
      select id from started`,
  );
  return result.rows.length === 1 ? { cookieValue, sessionId } : undefined;
}
