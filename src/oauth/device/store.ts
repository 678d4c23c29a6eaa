import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.js';
import type { DeviceAuthorizationStatus } from '../../db/tables/device.js';
import { newOpaqueToken, sha256Hex, TOKEN_PREFIX } from '../../opaque-token.js';
import { jsonb } from '../../db/json.js';
import { storedAmr } from '../../users/assurance.js';
import { formatUserCode, hashUserCode, newUserCode, normaliseUserCode } from './user-code.js';

/** RFC 8628 3.5: each slow_down adds this much to the interval, for that poll and every later one. */
export const SLOW_DOWN_STEP_SECONDS = 5;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NewDeviceAuthorization {
  clientId: string;
  /** The scope granted if the user allows it, already validated against the client. */
  scope: string;
  audience: string;
  /** RFC 8628 3.2 `interval`: the least time the device must leave between two polls. */
  intervalSeconds: number;
  /** RFC 8628 3.2 `expires_in`. */
  lifetimeSeconds: number;
  now: Date;
}

export interface IssuedDeviceAuthorization {
  id: string;
  /** RFC 8628 3.2 `device_code`; shown once, stored only as its hash. */
  deviceCode: string;
  /** RFC 8628 3.2 `user_code`, as the person sees and types it: XXXX-XXXX. */
  userCode: string;
  expiresAt: Date;
}

/**
 * RFC 8628 3.1/3.2: records a device's request and returns its two codes. The insert skips a
 * clash (ON CONFLICT DO NOTHING) instead of failing, so a caller's transaction stays usable, and
 * a user-code clash (about one in 2.6e10 per live row) is retried once with new codes.
 * `generateUserCode` is there for tests that need a clash; everything else takes the default.
 */
export async function createDeviceAuthorization(
  db: Kysely<Database>,
  input: NewDeviceAuthorization,
  generateUserCode: () => string = newUserCode,
): Promise<IssuedDeviceAuthorization> {
  const expiresAt = new Date(input.now.getTime() + input.lifetimeSeconds * 1000);
  for (let attempt = 0; attempt < 2; attempt++) {
    const id = randomUUID();
    const deviceCode = newOpaqueToken(TOKEN_PREFIX.deviceCode);
    const userCode = generateUserCode();
    const inserted = await db
      .insertInto('device_authorizations')
      .values({
        id,
        device_code_hash: sha256Hex(deviceCode),
        user_code_hash: hashUserCode(userCode),
        client_id: input.clientId,
        scope: input.scope,
        audience: input.audience,
        interval_seconds: input.intervalSeconds,
        created_at: input.now,
        expires_at: expiresAt,
      })
      .onConflict((conflict) => conflict.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id, deviceCode, userCode: formatUserCode(userCode), expiresAt };
  }
  throw new Error('device authorization: the user code clashed twice in a row; not retrying again');
}

/** What the approval page shows about a pending request (RFC 8628 3.3). */
export interface PendingDeviceAuthorization {
  id: string;
  /** The code as the device shows it (XXXX-XXXX), so the user can compare the two. */
  userCode: string;
  clientId: string;
  clientName: string;
  scope: string;
  audience: string;
  expiresAt: Date;
}

/**
 * The pending, unexpired request a typed user code names, or undefined: for input that cannot be
 * a code, and alike for a code that never existed, has expired or was already decided (the page
 * says the same for all of them).
 */
export async function findPendingByUserCode(db: Kysely<Database>, typed: unknown, now: Date): Promise<PendingDeviceAuthorization | undefined> {
  const canonical = normaliseUserCode(typed);
  if (canonical === undefined) return undefined;
  const row = await db
    .selectFrom('device_authorizations as d')
    .innerJoin('clients as c', 'c.id', 'd.client_id')
    .select(['d.id', 'd.client_id', 'c.name', 'd.scope', 'd.audience', 'd.expires_at'])
    .where('d.user_code_hash', '=', hashUserCode(canonical))
    .where('d.status', '=', 'pending')
    .where('d.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    userCode: formatUserCode(canonical),
    clientId: row.client_id,
    clientName: row.name,
    scope: row.scope,
    audience: row.audience,
    expiresAt: row.expires_at,
  };
}

export type DeviceDecision = { approve: { userId: string; sessionId: string; authTime: Date; amr: string[] } } | { deny: true };

/**
 * The user's answer, as one compare-and-set on status = 'pending' (and unexpired): of two tabs
 * answering at once, the second waits for the first's row lock, then finds the status changed
 * and updates nothing. Returns whether this decision is the one that counted.
 */
export async function decideDeviceAuthorization(db: Kysely<Database>, id: string, decision: DeviceDecision, now: Date): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const outcome =
    'approve' in decision
      ? { status: 'approved' as const, user_id: decision.approve.userId, session_id: decision.approve.sessionId, auth_time: decision.approve.authTime, amr: jsonb(decision.approve.amr), decided_at: now }
      : { status: 'denied' as const, decided_at: now };
  const result = await db
    .updateTable('device_authorizations')
    .set(outcome)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** An approval the poll has just consumed: what the grant handler turns into tokens. */
export interface ApprovedDeviceAuthorization {
  id: string;
  clientId: string;
  userId: string;
  sessionId: string;
  authTime: Date;
  /** How the approving user authenticated (RFC 8176). */
  amr: string[];
  scope: string;
  audience: string;
}

/**
 * The token endpoint's view of a device code (RFC 8628 3.5). Every status but 'approved' is the
 * `error` to send; `reason` and the replay's ids are for the log and for revocation, never for
 * the device.
 */
export type DevicePoll =
  | { status: 'approved'; authorization: ApprovedDeviceAuthorization }
  | { status: 'authorization_pending' }
  /** Polled sooner than the interval allows; the interval is now `intervalSeconds` for good. */
  | { status: 'slow_down'; intervalSeconds: number }
  | { status: 'access_denied' }
  | { status: 'expired_token' }
  | { status: 'invalid_grant'; reason: 'unknown' | 'wrong_client' }
  /**
   * Already consumed: a second redemption, as with a replayed authorization code. grantId is the
   * grant the first one produced (null until setDeviceGrantId linked it), for the caller to revoke.
   */
  | { status: 'invalid_grant'; reason: 'replayed'; id: string; clientId: string; userId: string | null; grantId: string | null };

export interface PollInput {
  /** The device_code parameter as received. */
  deviceCode: string;
  /** The authenticated (or, for public clients, identified) client that polls. */
  clientId: string;
  now: Date;
}

type PollOutcome = 'wrong_client' | 'replayed' | 'expired_token' | 'access_denied' | 'approved' | 'slow_down' | 'authorization_pending';

interface PollRow {
  id: string;
  client_id: string;
  status: DeviceAuthorizationStatus;
  user_id: string | null;
  session_id: string | null;
  auth_time: Date | string | null;
  amr: unknown;
  scope: string;
  audience: string;
  grant_id: string | null;
  outcome: PollOutcome;
  /** The row's interval after this poll; null when the poll changed nothing. */
  new_interval_seconds: number | null;
}

/**
 * One poll, in one statement. `found` locks the row (FOR UPDATE), so concurrent polls of one code
 * run one after another, and each judges the row as the one before it left it (READ COMMITTED
 * re-reads the newest version after the wait). `judged` decides, in this order: another client's
 * code (touched not at all, so nobody else can slow a device down or spend its approval), already
 * consumed (a replay), expired, denied, approved (consumed now: of any number of concurrent polls
 * exactly one sees 'approved', the rest find 'consumed'), polled too soon (slow_down: the interval
 * grows by 5 s and stays grown), else pending. `updated` writes what a pending or approved row
 * changes: last_polled_at on every poll that counts (slow_down ones too, so a device that keeps
 * hammering keeps being told to slow down), and the consumption. The first poll is never early:
 * the interval runs from the previous poll, not from issuance.
 */
export async function pollDeviceCode(db: Kysely<Database>, input: PollInput): Promise<DevicePoll> {
  if (!input.deviceCode.startsWith(TOKEN_PREFIX.deviceCode) || input.deviceCode.length > 100) return { status: 'invalid_grant', reason: 'unknown' };
  const now = input.now;
  const result = await sql<PollRow>`
    with found as (
      select id, client_id, status, user_id, session_id, auth_time, amr, scope, audience, grant_id,
             interval_seconds, expires_at, last_polled_at
      from device_authorizations
      where device_code_hash = ${sha256Hex(input.deviceCode)}
      for update
    ), judged as (
      select found.*, case
        when client_id <> ${input.clientId} then 'wrong_client'
        when status = 'consumed' then 'replayed'
        when expires_at <= ${now}::timestamptz then 'expired_token'
        when status = 'denied' then 'access_denied'
        when status = 'approved' then 'approved'
        when last_polled_at > ${now}::timestamptz - interval_seconds * interval '1 second' then 'slow_down'
        else 'authorization_pending'
      end as outcome
      from found
    ), updated as (
      update device_authorizations d set
        status = case when j.outcome = 'approved' then 'consumed' else d.status end,
        consumed_at = case when j.outcome = 'approved' then ${now}::timestamptz else d.consumed_at end,
        interval_seconds = d.interval_seconds + case when j.outcome = 'slow_down' then ${SLOW_DOWN_STEP_SECONDS}::integer else 0 end,
        last_polled_at = ${now}::timestamptz
      from judged j
      where d.id = j.id and j.outcome in ('approved', 'slow_down', 'authorization_pending')
      returning d.id, d.interval_seconds
    )
    select j.id, j.client_id, j.status, j.user_id, j.session_id, j.auth_time, j.amr, j.scope, j.audience, j.grant_id, j.outcome,
           updated.interval_seconds as new_interval_seconds
    from judged j left join updated on updated.id = j.id`.execute(db);
  const row = result.rows[0];
  if (!row) return { status: 'invalid_grant', reason: 'unknown' };
  switch (row.outcome) {
    case 'wrong_client':
      return { status: 'invalid_grant', reason: 'wrong_client' };
    case 'replayed':
      return { status: 'invalid_grant', reason: 'replayed', id: row.id, clientId: row.client_id, userId: row.user_id, grantId: row.grant_id };
    case 'expired_token':
    case 'access_denied':
    case 'authorization_pending':
      return { status: row.outcome };
    case 'slow_down':
      return { status: 'slow_down', intervalSeconds: Number(row.new_interval_seconds) };
    case 'approved':
      // The check constraint makes an approved row carry its user, session and auth_time.
      return {
        status: 'approved',
        authorization: {
          id: row.id,
          clientId: row.client_id,
          userId: row.user_id!,
          sessionId: row.session_id!,
          authTime: new Date(row.auth_time!),
          amr: storedAmr(row.amr),
          scope: row.scope,
          audience: row.audience,
        },
      };
  }
}

/**
 * Links a consumed authorization to the grant its tokens belong to, so a replay of the device
 * code (see DevicePoll) can revoke that grant. Call it in the transaction that polled and created
 * the grant: then a replay never finds the row consumed but unlinked. Sets it once only.
 */
export async function setDeviceGrantId(db: Kysely<Database>, id: string, grantId: string): Promise<boolean> {
  const result = await db
    .updateTable('device_authorizations')
    .set({ grant_id: grantId })
    .where('id', '=', id)
    .where('status', '=', 'consumed')
    .where('grant_id', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
