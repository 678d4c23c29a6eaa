import { sql, type RawBuilder } from 'kysely';
import type { Queryable } from '../db/queryable.js';
import { jsonb } from '../db/json.js';
import { sha256Hex } from '../opaque-token.js';
import type { ClaimsUser } from '../users/claims.js';
import type { GrantRow } from '../db/tables/sign-in.js';
import { insertAuditEventsFrom } from '../audit/store.js';
import { executePrepared } from '../db/prepared.js';
import { storedAmr } from '../users/assurance.js';

/** The grant (family) a refresh succeeded in, with what the new tokens need about its user. */
export interface RefreshedGrant {
  grantId: string;
  clientId: string;
  userId: string | null;
  sessionId: string | null;
  scope: string;
  audience: string;
  authTime: Date | null;
  /** How the user authenticated when the family started (RFC 8176). */
  amr: string[];
  absoluteExpiresAt: Date;
  /** The user behind the family (absent for client grants), for ID-token claims. */
  user?: ClaimsUser;
}

export interface RotationInput {
  presentedToken: string;
  clientId: string;
  /** Scope the client asks for now; must be within the grant's (the whole grant when absent). */
  requestedScope?: string;
  /** The client's registered scopes now: the family keeps only these (a shrunk client shrinks it). */
  clientScopes: string[];
  /** The audiences the client may still have (audiencesStillAllowed): a family for another one is dead. */
  clientAudiences: string[];
  /** The presented token's deterministic successor (see refresh-successor.ts). */
  successorToken: string;
  accessTokenJti: string;
  accessTokenExpiresAt: Date;
  idleSeconds: number;
  now: Date;
  /** Where the request came from, for the token_issued audit row the statement writes. */
  ip: string | null;
  /** The key of the request's valid DPoP proof (null: none): a bound family refreshes only with it. */
  dpopJkt: string | null;
}

/** A grant row joined with its user, as the rotation statement and the diagnosis read it. */
type GrantRowShape = Pick<GrantRow, 'id' | 'client_id' | 'user_id' | 'session_id' | 'scope' | 'audience' | 'auth_time' | 'absolute_expires_at'> & {
  amr?: unknown;
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
    amr: storedAmr(row.amr),
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

/** The grant's scopes that the client still has (`clientScopes`: a jsonb array), in the grant's order, as a scope string. */
function scopeStillAllowed(clientScopes: RawBuilder<unknown>) {
  return sql<string>`array_to_string(array(
    select granted.s from unnest(string_to_array(g.scope, ' ')) with ordinality as granted(s, n)
    where ${clientScopes} @> jsonb_build_array(granted.s) order by granted.n), ' ')`;
}

/** What a family is checked against: one request's values, as parameters or as a batch's columns. */
interface FamilyCheck {
  clientId: RawBuilder<unknown>;
  now: RawBuilder<unknown>;
  /** '' when the request names no scope. */
  requestedScope: RawBuilder<unknown>;
  /** jsonb arrays. */
  clientScopes: RawBuilder<unknown>;
  clientAudiences: RawBuilder<unknown>;
  dpopJkt: RawBuilder<unknown>;
}

function checkFromParameters(input: RotationInput): FamilyCheck {
  return {
    clientId: sql`${input.clientId}`,
    now: sql`${input.now}`,
    requestedScope: sql`${input.requestedScope ?? ''}`,
    clientScopes: sql`${jsonb(input.clientScopes)}::jsonb`,
    clientAudiences: sql`${jsonb(input.clientAudiences)}::jsonb`,
    dpopJkt: sql`${input.dpopJkt}`,
  };
}

/**
 * What every refresh (first use or grace replay) requires of the family `g`: this client's, live,
 * its user enabled, the requested scope within the grant, and something left of the grant once
 * the scopes the client lost are taken away.
 */
function familyUsable(check: FamilyCheck) {
  return sql<boolean>`g.client_id = ${check.clientId}
    and g.revoked_at is null
    and g.idle_expires_at > ${check.now}
    and g.absolute_expires_at > ${check.now}
    and string_to_array(g.scope, ' ') @> string_to_array(${check.requestedScope}, ' ')
    and ${scopeStillAllowed(check.clientScopes)} <> ''
    and ${check.clientAudiences} @> jsonb_build_array(g.audience)
    and (g.dpop_jkt is null or g.dpop_jkt = ${check.dpopJkt})
    and not exists (select 1 from users u where u.id = g.user_id and u.disabled)`;
}

/** What the refresh statements return of the family they touched (GrantRowShape). */
const GRANT_COLUMNS = sql.raw('g.id, g.client_id, g.user_id, g.session_id, g.scope, g.audience, g.auth_time, g.amr, g.absolute_expires_at');

/**
 * The grace replay's tail, after a CTE `touched` holding the family it updated: record the new
 * access token's jti in the family, write the token_issued audit row (marked grace; it commits with
 * the replay: one statement, one commit), and read the family with its user. The audited scope is
 * what the response carries: the requested scope, else the family's (already narrowed) scope.
 */
function recordAccessTokenAndReadGrant(input: Pick<RotationInput, 'accessTokenJti' | 'accessTokenExpiresAt' | 'requestedScope' | 'ip'>) {
  const details = sql`jsonb_build_object('grant', 'refresh_token', 'grantId', touched.id, 'jti', ${input.accessTokenJti}::text,
    'scope', coalesce(${input.requestedScope ?? null}::text, touched.scope)) || '{"grace": true}'::jsonb`;
  return sql`access_token as (
      insert into grant_access_tokens (jti, grant_id, expires_at)
      select ${input.accessTokenJti}, id, ${input.accessTokenExpiresAt} from touched
    ), audit as (
      ${insertAuditEventsFrom('touched', { type: 'token_issued', userId: sql`touched.user_id`, clientId: sql`touched.client_id`, ip: input.ip, details })}
    )
    select touched.*, u.username, u.name, u.email, u.email_verified, u.updated_at
    from touched left join users u on u.id = touched.user_id`;
}

/**
 * Re-checked when a rotation updates the family: that UPDATE may have waited for a concurrent
 * revocation's row lock, and READ COMMITTED re-evaluates only its own WHERE on the revoked row.
 * Without it the rotation would record an access token after the revocation had denied the
 * family's tokens.
 */
const STILL_LIVE = sql`g.revoked_at is null`;

/** A batch row's values, as familyUsable reads them (the `i` of rotateRefreshTokens). */
const CHECK_FROM_BATCH: FamilyCheck = {
  clientId: sql`i.client_id`,
  now: sql`i.rotated_at`,
  requestedScope: sql`i.requested_scope`,
  clientScopes: sql`i.client_scopes`,
  clientAudiences: sql`i.client_audiences`,
  dpopJkt: sql`i.dpop_jkt`,
};

type RotatedRow = GrantRowShape & { n: string | number };

/**
 * The hot path: several concurrent refreshes in one statement (one round trip, one commit; see
 * tokens/rotation-batcher.ts), each with the outcome it would have alone. For each input: consume
 * the presented token if it is unused and its family usable; then slide the family's idle
 * expiry, narrow its scope to what the client still has, remember the consumed token for the
 * grace window, store the successor and record the new access token's id and the audit event.
 * Of two requests presenting the same token, in one batch or two, only one flips consumed_at
 * from null (the other's row is not updated again, or waits for the row lock and then finds it
 * set). A family has one unconsumed token at a time, so two inputs never rotate the same family.
 * Rows are read by key through `= any(…)` and scalar subqueries, never through a join the planner
 * could turn into a scan (test/tokens/rotation-plan.test.ts). The families are locked in heap order
 * (`locked`) before they are updated: a revocation of all of a user's or a client's families locks
 * them in that order too (through its index, whose equal keys are in heap order, or a heap scan),
 * so a batch holding two of them and that revocation cannot deadlock. Answers, per input in order, the
 * family, or nothing when any condition failed; diagnoseRefreshFailure then says why.
 */
export async function rotateRefreshTokens(q: Queryable, inputs: readonly RotationInput[]): Promise<(RefreshedGrant | undefined)[]> {
  const column = <T>(pick: (input: RotationInput) => T): T[] => inputs.map(pick);
  const presentedHashes = column((input) => sha256Hex(input.presentedToken));
  const result = await executePrepared(q, 'refresh_rotate_batch', sql<RotatedRow>`
    with i as (
      select * from unnest(
        ${presentedHashes}::text[],
        ${column((input) => sha256Hex(input.successorToken))}::text[],
        ${column((input) => input.clientId)}::text[],
        ${column((input) => input.requestedScope ?? '')}::text[],
        ${column((input) => input.requestedScope ?? null)}::text[],
        ${column((input) => JSON.stringify(input.clientScopes))}::jsonb[],
        ${column((input) => JSON.stringify(input.clientAudiences))}::jsonb[],
        ${column((input) => input.dpopJkt)}::text[],
        ${column((input) => input.accessTokenJti)}::text[],
        ${column((input) => input.accessTokenExpiresAt)}::timestamptz[],
        ${column((input) => new Date(input.now.getTime() + input.idleSeconds * 1000))}::timestamptz[],
        ${column((input) => input.now)}::timestamptz[],
        ${column((input) => input.ip?.slice(0, 100) ?? null)}::text[]
      ) with ordinality as input(presented_hash, successor_hash, client_id, requested_scope, audited_scope, client_scopes,
        client_audiences, dpop_jkt, jti, access_expires_at, idle_expires_at, rotated_at, ip, n)
    ), consumed as (
      update refresh_tokens rt set consumed_at = i.rotated_at
      from i
      where rt.token_hash = any(${presentedHashes}::text[])
        and rt.token_hash = i.presented_hash
        and rt.consumed_at is null
        and coalesce((select ${familyUsable(CHECK_FROM_BATCH)} from grants g where g.id = rt.grant_id), false)
      returning rt.grant_id, i.*
    ), locked as materialized (
      select g.id from grants g where g.id = any(array(select grant_id from consumed)) order by g.ctid for no key update
    ), touched as (
      update grants g set
        last_used_at = c.rotated_at,
        idle_expires_at = least(c.idle_expires_at, g.absolute_expires_at),
        last_consumed_hash = c.presented_hash,
        scope = ${scopeStillAllowed(sql`c.client_scopes`)}
      from consumed c
      where g.id = any(array(select id from locked)) and g.id = c.grant_id and ${STILL_LIVE}
      returning ${GRANT_COLUMNS}, c.n, c.successor_hash, c.jti, c.access_expires_at, c.rotated_at, c.ip, c.audited_scope
    ), successor as (
      insert into refresh_tokens (token_hash, grant_id, created_at)
      select successor_hash, id, rotated_at from touched
    ), access_token as (
      insert into grant_access_tokens (jti, grant_id, expires_at)
      select jti, id, access_expires_at from touched
    ), audit as (
      ${insertAuditEventsFrom('touched', {
        type: 'token_issued',
        userId: sql`touched.user_id`,
        clientId: sql`touched.client_id`,
        ip: sql`touched.ip`,
        details: sql`jsonb_build_object('grant', 'refresh_token', 'grantId', touched.id, 'jti', touched.jti, 'scope', coalesce(touched.audited_scope, touched.scope))`,
      })}
    )
    select touched.id, touched.client_id, touched.user_id, touched.session_id, touched.scope, touched.audience, touched.auth_time,
      touched.amr, touched.absolute_expires_at, touched.n, u.username, u.name, u.email, u.email_verified, u.updated_at
    from touched left join users u on u.id = touched.user_id`);
  const byInput = new Map(result.rows.map((row) => [Number(row.n), row]));
  return inputs.map((_, index) => {
    const row = byInput.get(index + 1);
    return row && toRefreshedGrant(row);
  });
}

export type RefreshFailure =
  | { kind: 'unknown' }
  | { kind: 'wrong_client' }
  /** A DPoP-bound family, and the request's proof (if any) used another key: nothing is touched. */
  | { kind: 'wrong_key' }
  | { kind: 'family_dead' }
  | { kind: 'invalid_scope' }
  /** The latest consumed token, presented again inside the grace window (concurrent tabs). */
  | { kind: 'grace'; grantId: string }
  /** A consumed token outside the window, or not the latest one: the family must be revoked. */
  | { kind: 'reuse'; grantId: string; clientId: string; userId: string | null };

/** Why rotateRefreshTokens refused a token. Read-only. */
export async function diagnoseRefreshFailure(
  q: Queryable,
  input: Pick<RotationInput, 'presentedToken' | 'clientId' | 'requestedScope' | 'clientScopes' | 'clientAudiences' | 'now' | 'dpopJkt'>,
  graceSeconds: number,
): Promise<RefreshFailure> {
  const presentedHash = sha256Hex(input.presentedToken);
  const query = q
    .selectFrom('refresh_tokens as rt')
    .innerJoin('grants as g', 'g.id', 'rt.grant_id')
    .leftJoin('users as u', 'u.id', 'g.user_id')
    .select(['rt.consumed_at', 'g.id', 'g.client_id', 'g.user_id', 'g.scope', 'g.audience', 'g.absolute_expires_at', 'g.idle_expires_at', 'g.revoked_at', 'g.last_consumed_hash', 'g.dpop_jkt', 'u.disabled'])
    .where('rt.token_hash', '=', presentedHash);
  const row = (await executePrepared(q, 'refresh_diagnose', query)).rows[0];
  if (!row) return { kind: 'unknown' };
  if (row.client_id !== input.clientId) return { kind: 'wrong_client' };
  // Before reuse detection: a stolen (even consumed) bound token without its key must not be
  // able to revoke the family it was stolen from.
  if (row.dpop_jkt !== null && row.dpop_jkt !== input.dpopJkt) return { kind: 'wrong_key' };
  const now = input.now.getTime();
  const granted = row.scope.split(' ').filter(Boolean);
  const nothingLeft = !granted.some((s) => input.clientScopes.includes(s)) || !input.clientAudiences.includes(row.audience);
  const dead = row.revoked_at !== null || row.disabled === true || row.idle_expires_at.getTime() <= now || row.absolute_expires_at.getTime() <= now || nothingLeft;
  if (dead) return { kind: 'family_dead' };
  const scopeOk = (input.requestedScope ?? '').split(' ').filter(Boolean).every((s) => granted.includes(s));
  if (row.consumed_at === null) return scopeOk ? { kind: 'unknown' } : { kind: 'invalid_scope' };
  const insideGrace = graceSeconds > 0 && now - row.consumed_at.getTime() <= graceSeconds * 1000;
  if (insideGrace && row.last_consumed_hash === presentedHash) {
    if (!scopeOk) return { kind: 'invalid_scope' };
    return { kind: 'grace', grantId: row.id };
  }
  return { kind: 'reuse', grantId: row.id, clientId: row.client_id, userId: row.user_id };
}

/**
 * Grace path (RFC 9700 4.14.2), one statement: the family's latest consumed token, presented again
 * inside the window, gets the SAME successor the first use stored (nothing is inserted into
 * refresh_tokens, so the family never forks) and a fresh access token, recorded under the family.
 * Every condition is re-checked here, atomically: the grants row lock orders this against a
 * concurrent rotation of the successor, which moves last_consumed_hash on and so fails this one.
 * Returns nothing when the replay no longer qualifies (or the successor is not the one stored,
 * e.g. after a KEY_ENCRYPTION_KEY change); diagnose again then.
 */
export async function replayInGrace(q: Queryable, input: RotationInput & { grantId: string; graceSeconds: number }): Promise<RefreshedGrant | undefined> {
  const presentedHash = sha256Hex(input.presentedToken);
  const idleExpiresAt = new Date(input.now.getTime() + input.idleSeconds * 1000);
  const consumedSince = new Date(input.now.getTime() - input.graceSeconds * 1000);
  const check = checkFromParameters(input);
  const result = await executePrepared(q, 'refresh_grace_replay', sql<GrantRowShape>`
    with touched as (
      update grants g set
        last_used_at = ${input.now},
        idle_expires_at = least(${idleExpiresAt}::timestamptz, g.absolute_expires_at),
        scope = ${scopeStillAllowed(check.clientScopes)}
      where g.id = ${input.grantId}
        and g.last_consumed_hash = ${presentedHash}
        and ${familyUsable(check)}
        and exists (select 1 from refresh_tokens p where p.token_hash = ${presentedHash} and p.grant_id = g.id and p.consumed_at >= ${consumedSince})
        and exists (select 1 from refresh_tokens s where s.token_hash = ${sha256Hex(input.successorToken)} and s.grant_id = g.id and s.consumed_at is null)
      returning ${GRANT_COLUMNS}
    ), ${recordAccessTokenAndReadGrant(input)}`);
  const row = result.rows[0];
  return row && toRefreshedGrant(row);
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

export async function findRefreshToken(q: Queryable, token: string, now: Date): Promise<RefreshTokenStatus | undefined> {
  if (token.length > 100) return undefined;
  const query = q
    .selectFrom('refresh_tokens as rt')
    .innerJoin('grants as g', 'g.id', 'rt.grant_id')
    .leftJoin('users as u', 'u.id', 'g.user_id')
    .select(['rt.created_at', 'rt.consumed_at', 'g.id', 'g.client_id', 'g.user_id', 'g.scope', 'g.revoked_at', 'g.idle_expires_at', 'g.absolute_expires_at', 'u.disabled'])
    .where('rt.token_hash', '=', sha256Hex(token));
  const row = (await executePrepared(q, 'refresh_find', query)).rows[0];
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
