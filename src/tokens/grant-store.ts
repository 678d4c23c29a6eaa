import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { newOpaqueToken, sha256Hex, TOKEN_PREFIX } from '../opaque-token.js';

export interface NewGrant {
  id: string;
  clientId: string;
  userId: string | null;
  sessionId: string | null;
  scope: string;
  audience: string;
  authTime: Date | null;
  nonce: string | null;
  idleSeconds: number;
  absoluteSeconds: number;
  ip?: string;
  userAgent?: string;
}

/** Records what one authorization granted; refresh tokens and access-token ids hang off it. */
export async function createGrant(db: Kysely<Database>, grant: NewGrant, now: Date): Promise<void> {
  await db
    .insertInto('grants')
    .values({
      id: grant.id,
      client_id: grant.clientId,
      user_id: grant.userId,
      session_id: grant.sessionId,
      scope: grant.scope,
      audience: grant.audience,
      auth_time: grant.authTime,
      nonce: grant.nonce,
      created_at: now,
      last_used_at: now,
      idle_expires_at: new Date(now.getTime() + grant.idleSeconds * 1000),
      absolute_expires_at: new Date(now.getTime() + grant.absoluteSeconds * 1000),
      ip: grant.ip?.slice(0, 100) ?? null,
      user_agent: grant.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
}

/** Issues a refresh token in a grant (its family); returns the value, shown once. */
export async function addRefreshToken(db: Kysely<Database>, grantId: string, now: Date): Promise<string> {
  const token = newOpaqueToken(TOKEN_PREFIX.refreshToken);
  await db.insertInto('refresh_tokens').values({ token_hash: sha256Hex(token), grant_id: grantId, created_at: now }).execute();
  return token;
}

/** Remembers an access token's id under its grant, so revoking the grant can deny it. */
export async function recordAccessToken(db: Kysely<Database>, grantId: string, jti: string, expiresAt: Date): Promise<void> {
  await db.insertInto('grant_access_tokens').values({ jti, grant_id: grantId, expires_at: expiresAt }).execute();
}

/**
 * Revokes a grant: its refresh tokens stop working and the ids of its unexpired access tokens
 * go into revoked_jtis. One transaction; revoking twice keeps the first reason.
 */
export async function revokeGrant(db: Kysely<Database>, grantId: string, reason: string, now: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable('grants')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('id', '=', grantId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    await trx
      .insertInto('revoked_jtis')
      .columns(['jti', 'expires_at'])
      .expression((eb) =>
        eb.selectFrom('grant_access_tokens').select(['jti', 'expires_at']).where('grant_id', '=', grantId).where('expires_at', '>', now),
      )
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
    return revoked.numUpdatedRows > 0n;
  });
}

export async function isJtiRevoked(db: Kysely<Database>, jti: string): Promise<boolean> {
  const row = await db.selectFrom('revoked_jtis').select('jti').where('jti', '=', jti).executeTakeFirst();
  return Boolean(row);
}

/** Denies one access token until it would have expired anyway. */
export async function denyJti(db: Kysely<Database>, jti: string, expiresAt: Date): Promise<void> {
  await db.insertInto('revoked_jtis').values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column('jti').doNothing()).execute();
}

/**
 * Revokes every live grant of a user or of a client in one statement, denying the ids of their
 * unexpired access tokens. Returns how many grants it revoked.
 */
export async function revokeGrantsOf(db: Kysely<Database>, owner: { userId: string } | { clientId: string }, reason: string, now: Date): Promise<number> {
  const column = 'userId' in owner ? sql.ref('user_id') : sql.ref('client_id');
  const value = 'userId' in owner ? owner.userId : owner.clientId;
  const result = await sql<{ revoked: number }>`
    with revoked as (
      update grants set revoked_at = ${now}, revoked_reason = ${reason}
      where ${column} = ${value} and revoked_at is null
      returning id
    ), denied as (
      insert into revoked_jtis (jti, expires_at)
      select jti, expires_at from grant_access_tokens
      where grant_id in (select id from revoked) and expires_at > ${now}
      on conflict (jti) do nothing
    )
    select count(*)::int as revoked from revoked`.execute(db);
  return Number(result.rows[0]?.revoked ?? 0);
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
export async function listUserFamilies(db: Kysely<Database>, userId: string): Promise<GrantSummary[]> {
  const rows = await db
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

export async function findGrantOwner(db: Kysely<Database>, grantId: string): Promise<{ userId: string | null; clientId: string } | undefined> {
  const row = await db.selectFrom('grants').select(['user_id', 'client_id']).where('id', '=', grantId).executeTakeFirst();
  return row && { userId: row.user_id, clientId: row.client_id };
}
