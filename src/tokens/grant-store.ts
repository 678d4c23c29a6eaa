import { sql } from 'kysely';
import { executePrepared } from '../db/prepared.js';
import type { Queryable, Trx } from '../db/queryable.js';
import { jsonb } from '../db/json.js';
import { newOpaqueToken, sha256Hex, TOKEN_PREFIX } from '../opaque-token.js';

export interface NewGrant {
  id: string;
  clientId: string;
  userId: string | null;
  sessionId: string | null;
  scope: string;
  audience: string;
  authTime: Date | null;
  /** How the user authenticated (RFC 8176); empty for a client's own grant. */
  amr: string[];
  nonce: string | null;
  idleSeconds: number;
  absoluteSeconds: number;
  /** The DPoP key the family's refresh tokens are bound to (public clients); null: unbound. */
  dpopJkt?: string | null;
  ip?: string;
  userAgent?: string;
}

/** Records what one authorization granted; refresh tokens and access-token ids hang off it. */
export async function createGrant(q: Queryable, grant: NewGrant, now: Date): Promise<void> {
  await q
    .insertInto('grants')
    .values({
      id: grant.id,
      client_id: grant.clientId,
      user_id: grant.userId,
      session_id: grant.sessionId,
      scope: grant.scope,
      audience: grant.audience,
      auth_time: grant.authTime,
      amr: jsonb(grant.amr),
      nonce: grant.nonce,
      created_at: now,
      last_used_at: now,
      idle_expires_at: new Date(now.getTime() + grant.idleSeconds * 1000),
      absolute_expires_at: new Date(now.getTime() + grant.absoluteSeconds * 1000),
      dpop_jkt: grant.dpopJkt ?? null,
      ip: grant.ip?.slice(0, 100) ?? null,
      user_agent: grant.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
}

/** Issues a refresh token in a grant (its family); returns the value, shown once. */
export async function addRefreshToken(q: Queryable, grantId: string, now: Date): Promise<string> {
  const token = newOpaqueToken(TOKEN_PREFIX.refreshToken);
  await q.insertInto('refresh_tokens').values({ token_hash: sha256Hex(token), grant_id: grantId, created_at: now }).execute();
  return token;
}

/** Remembers an access token's id under its grant, so revoking the grant can deny it. */
export async function recordAccessToken(q: Queryable, grantId: string, jti: string, expiresAt: Date): Promise<void> {
  await q.insertInto('grant_access_tokens').values({ jti, grant_id: grantId, expires_at: expiresAt }).execute();
}

/** Which grants a revocation takes: one grant, or every grant of a user or of a client. */
export type GrantSelector = { grantId: string } | { userId: string } | { clientId: string };

function selectorColumn(selector: GrantSelector) {
  if ('grantId' in selector) return { column: 'id', value: selector.grantId } as const;
  if ('userId' in selector) return { column: 'user_id', value: selector.userId } as const;
  return { column: 'client_id', value: selector.clientId } as const;
}

/**
 * Revokes the selected live grants (their refresh tokens stop working) and denies the ids of
 * their unexpired access tokens; revoking twice keeps the first reason. Returns how many grants
 * it revoked. Two statements, so the caller's transaction makes them one outcome: the second
 * reads a fresh snapshot (READ COMMITTED), so an access token recorded by a rotation that held
 * the grant's row lock while the UPDATE waited is denied too, which one CTE statement, reading
 * the snapshot taken before the wait, would miss.
 */
async function revokeSelected(trx: Trx, selector: GrantSelector, reason: string, now: Date): Promise<number> {
  const { column, value } = selectorColumn(selector);
  const revoked = await trx
    .updateTable('grants')
    .set({ revoked_at: now, revoked_reason: reason })
    .where(column, '=', value)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  await trx
    .insertInto('revoked_jtis')
    .columns(['jti', 'expires_at'])
    .expression((eb) =>
      eb
        .selectFrom('grant_access_tokens as t')
        .innerJoin('grants as g', 'g.id', 't.grant_id')
        .select(['t.jti', 't.expires_at'])
        .where(`g.${column}`, '=', value)
        .where('g.revoked_at', 'is not', null)
        .where('t.expires_at', '>', now),
    )
    .onConflict((oc) => oc.column('jti').doNothing())
    .execute();
  return Number(revoked.numUpdatedRows);
}

/** Revokes one grant (see revokeSelected); true when this call revoked it. */
export async function revokeGrant(trx: Trx, grantId: string, reason: string, now: Date): Promise<boolean> {
  return (await revokeSelected(trx, { grantId }, reason, now)) > 0;
}

/** Revokes every live grant of a user or of a client (see revokeSelected); returns how many. */
export async function revokeGrantsOf(trx: Trx, owner: { userId: string } | { clientId: string }, reason: string, now: Date): Promise<number> {
  return revokeSelected(trx, owner, reason, now);
}

/**
 * Which of these access-token ids are denied: one indexed lookup for a whole batch
 * (tokens/revoked-jtis.ts). `= any($1)` keeps one statement text and one parameter whatever the
 * batch size.
 */
export async function revokedAmong(q: Queryable, jtis: readonly string[]): Promise<Set<string>> {
  if (jtis.length === 0) return new Set();
  const query = q.selectFrom('revoked_jtis').select('jti').where(sql<boolean>`jti = any(${[...jtis]}::text[])`);
  const { rows } = await executePrepared(q, 'revoked_jtis_among', query);
  return new Set(rows.map((row) => row.jti));
}

/** Denies one access token until it would have expired anyway; true when this call denied it. */
export async function denyJti(q: Queryable, jti: string, expiresAt: Date): Promise<boolean> {
  const inserted = await q.insertInto('revoked_jtis').values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column('jti').doNothing()).returning('jti').executeTakeFirst();
  return inserted !== undefined;
}

export interface GrantSummary {
  id: string;
  clientId: string;
  scope: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** A user's refresh families (grants that carry refresh tokens), newest first. */
export async function listUserFamilies(q: Queryable, userId: string): Promise<GrantSummary[]> {
  const rows = await q
    .selectFrom('grants')
    .selectAll()
    .where('user_id', '=', userId)
    .where((eb) => eb.exists(eb.selectFrom('refresh_tokens').select('token_hash').whereRef('refresh_tokens.grant_id', '=', 'grants.id')))
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
  return rows.map((g) => ({
    id: g.id,
    clientId: g.client_id,
    scope: g.scope,
    createdAt: g.created_at,
    lastUsedAt: g.last_used_at,
    expiresAt: new Date(Math.min(g.idle_expires_at.getTime(), g.absolute_expires_at.getTime())),
    revokedAt: g.revoked_at,
    revokedReason: g.revoked_reason,
    ip: g.ip,
    userAgent: g.user_agent,
  }));
}

export async function findGrantOwner(q: Queryable, grantId: string): Promise<{ userId: string | null; clientId: string } | undefined> {
  const row = await q.selectFrom('grants').select(['user_id', 'client_id']).where('id', '=', grantId).executeTakeFirst();
  return row && { userId: row.user_id, clientId: row.client_id };
}
