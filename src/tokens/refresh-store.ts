import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { sha256Hex } from '../opaque-token.js';
import type { ClaimsUser } from '../users/claims.js';
import type { GrantRow } from '../db/tables/sign-in.js';

/** The grant (family) a refresh succeeded in, with what the new tokens need about its user. */
export interface RefreshedGrant {
  grantId: string;
  clientId: string;
  userId: string | null;
  sessionId: string | null;
  scope: string;
  audience: string;
  authTime: Date | null;
  absoluteExpiresAt: Date;
  /** The user behind the family (absent for client grants), for ID-token claims. */
  user?: ClaimsUser;
}

export interface RotationInput {
  presentedToken: string;
  clientId: string;
  /** Scope the client asks for now; must be within the grant's (the whole grant when absent). */
  requestedScope?: string;
  successorToken: string;
  accessTokenJti: string;
  accessTokenExpiresAt: Date;
  idleSeconds: number;
  now: Date;
}

/** A grant row joined with its user, as the rotation statement and the diagnosis read it. */
type GrantRowShape = Pick<GrantRow, 'id' | 'client_id' | 'user_id' | 'session_id' | 'scope' | 'audience' | 'auth_time' | 'absolute_expires_at'> & {
  username?: string | null;
  name?: string | null;
  email?: string | null;
  email_verified?: boolean | null;
  updated_at?: Date | string | null;
};

function toRefreshedGrant(row: GrantRowShape): RefreshedGrant {
  return {
    grantId: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionId: row.session_id,
    scope: row.scope,
    audience: row.audience,
    authTime: row.auth_time === null ? null : new Date(row.auth_time),
    absoluteExpiresAt: new Date(row.absolute_expires_at),
    user:
      row.user_id && row.username
        ? {
            id: row.user_id,
            username: row.username,
            name: row.name ?? null,
            email: row.email ?? null,
            email_verified: Boolean(row.email_verified),
            updated_at: new Date(row.updated_at ?? 0),
          }
        : undefined,
  };
}

/**
 * The hot path, in one statement (one round trip, atomic): consume the presented token if it is
 * unused, belongs to this client, its family is live, its user enabled and the scope within the
 * grant; then slide the family's idle expiry, remember the consumed token for the grace window,
 * store the successor and record the new access token's id. Returns nothing when any condition
 * fails; diagnoseRefreshFailure then says why.
 */
export async function rotateRefreshToken(db: Kysely<Database>, input: RotationInput): Promise<RefreshedGrant | undefined> {
  const presentedHash = sha256Hex(input.presentedToken);
  const idleExpiresAt = new Date(input.now.getTime() + input.idleSeconds * 1000);
  const result = await sql<GrantRowShape>`
    with consumed as (
      update refresh_tokens rt set consumed_at = ${input.now}
      from grants g
      where rt.token_hash = ${presentedHash}
        and rt.consumed_at is null
        and g.id = rt.grant_id
        and g.client_id = ${input.clientId}
        and g.revoked_at is null
        and g.idle_expires_at > ${input.now}
        and g.absolute_expires_at > ${input.now}
        and string_to_array(g.scope, ' ') @> string_to_array(${input.requestedScope ?? ''}, ' ')
        and not exists (select 1 from users u where u.id = g.user_id and u.disabled)
      returning rt.grant_id
    ), touched as (
      update grants g set
        last_used_at = ${input.now},
        idle_expires_at = least(${idleExpiresAt}::timestamptz, g.absolute_expires_at),
        last_consumed_hash = ${presentedHash}
      from consumed
      where g.id = consumed.grant_id
      returning g.id, g.client_id, g.user_id, g.session_id, g.scope, g.audience, g.auth_time, g.absolute_expires_at
    ), successor as (
      insert into refresh_tokens (token_hash, grant_id, created_at)
      select ${sha256Hex(input.successorToken)}, id, ${input.now} from touched
    ), access_token as (
      insert into grant_access_tokens (jti, grant_id, expires_at)
      select ${input.accessTokenJti}, id, ${input.accessTokenExpiresAt} from touched
    )
    select touched.*, u.username, u.name, u.email, u.email_verified, u.updated_at
    from touched left join users u on u.id = touched.user_id`.execute(db);
  const row = result.rows[0];
  return row && toRefreshedGrant(row);
}

export type RefreshFailure =
  | { kind: 'unknown' }
  | { kind: 'wrong_client' }
  | { kind: 'family_dead' }
  | { kind: 'invalid_scope' }
  /** The latest consumed token, presented again inside the grace window (concurrent tabs). */
  | { kind: 'grace'; grant: RefreshedGrant }
  /** A consumed token outside the window, or not the latest one: the family must be revoked. */
  | { kind: 'reuse'; grantId: string; clientId: string; userId: string | null };

/** Why rotateRefreshToken refused a token. Read-only. */
export async function diagnoseRefreshFailure(
  db: Kysely<Database>,
  input: Pick<RotationInput, 'presentedToken' | 'clientId' | 'requestedScope' | 'now'>,
  graceSeconds: number,
): Promise<RefreshFailure> {
  const presentedHash = sha256Hex(input.presentedToken);
  const row = await db
    .selectFrom('refresh_tokens as rt')
    .innerJoin('grants as g', 'g.id', 'rt.grant_id')
    .leftJoin('users as u', 'u.id', 'g.user_id')
    .select([
      'rt.consumed_at',
      'g.id',
      'g.client_id',
      'g.user_id',
      'g.session_id',
      'g.scope',
      'g.audience',
      'g.auth_time',
      'g.absolute_expires_at',
      'g.idle_expires_at',
      'g.revoked_at',
      'g.last_consumed_hash',
      'u.disabled',
      'u.username',
      'u.name',
      'u.email',
      'u.email_verified',
      'u.updated_at',
    ])
    .where('rt.token_hash', '=', presentedHash)
    .executeTakeFirst();
  if (!row) return { kind: 'unknown' };
  if (row.client_id !== input.clientId) return { kind: 'wrong_client' };
  const now = input.now.getTime();
  const dead = row.revoked_at !== null || row.disabled === true || row.idle_expires_at.getTime() <= now || row.absolute_expires_at.getTime() <= now;
  if (dead) return { kind: 'family_dead' };
  const granted = new Set(row.scope.split(' '));
  const scopeOk = (input.requestedScope ?? '').split(' ').filter(Boolean).every((s) => granted.has(s));
  if (row.consumed_at === null) return scopeOk ? { kind: 'unknown' } : { kind: 'invalid_scope' };
  const insideGrace = graceSeconds > 0 && now - row.consumed_at.getTime() <= graceSeconds * 1000;
  if (insideGrace && row.last_consumed_hash === presentedHash) {
    if (!scopeOk) return { kind: 'invalid_scope' };
    return { kind: 'grace', grant: toRefreshedGrant(row) };
  }
  return { kind: 'reuse', grantId: row.id, clientId: row.client_id, userId: row.user_id };
}

/** Grace path: a fresh pair in the same family without consuming anything more. */
export async function issueInGrace(db: Kysely<Database>, input: Omit<RotationInput, 'presentedToken' | 'requestedScope'> & { grantId: string }): Promise<void> {
  const idleExpiresAt = new Date(input.now.getTime() + input.idleSeconds * 1000);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('grants')
      .set({ last_used_at: input.now, idle_expires_at: sql`least(${idleExpiresAt}::timestamptz, absolute_expires_at)` })
      .where('id', '=', input.grantId)
      .execute();
    await trx.insertInto('refresh_tokens').values({ token_hash: sha256Hex(input.successorToken), grant_id: input.grantId, created_at: input.now }).execute();
    await trx.insertInto('grant_access_tokens').values({ jti: input.accessTokenJti, grant_id: input.grantId, expires_at: input.accessTokenExpiresAt }).execute();
  });
}

/** A refresh token's standing, for revocation and introspection. */
export interface RefreshTokenStatus {
  grantId: string;
  clientId: string;
  userId: string | null;
  scope: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Unconsumed, family live, user enabled. */
  active: boolean;
}

export async function findRefreshToken(db: Kysely<Database>, token: string, now: Date): Promise<RefreshTokenStatus | undefined> {
  if (token.length > 100) return undefined;
  const row = await db
    .selectFrom('refresh_tokens as rt')
    .innerJoin('grants as g', 'g.id', 'rt.grant_id')
    .leftJoin('users as u', 'u.id', 'g.user_id')
    .select(['rt.created_at', 'rt.consumed_at', 'g.id', 'g.client_id', 'g.user_id', 'g.scope', 'g.revoked_at', 'g.idle_expires_at', 'g.absolute_expires_at', 'u.disabled'])
    .where('rt.token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  if (!row) return undefined;
  const expiresAt = new Date(Math.min(row.idle_expires_at.getTime(), row.absolute_expires_at.getTime()));
  return {
    grantId: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    issuedAt: row.created_at,
    expiresAt,
    active: row.consumed_at === null && row.revoked_at === null && row.disabled !== true && expiresAt.getTime() > now.getTime(),
  };
}
