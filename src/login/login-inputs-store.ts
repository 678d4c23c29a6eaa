import { sql } from 'kysely';
import type { Queryable } from '../db/queryable.js';
import { executePrepared } from '../db/prepared.js';
import { isPendingRequestId, pendingRequestFromRow, type PendingRequest } from '../oauth/authorize/request-store.js';
import { USER_COLUMNS, type LoginCandidate } from './attempt-store.js';

export interface LoginInputs {
  /** The parked request the form names, unless unknown or expired. */
  pending: PendingRequest | undefined;
  /** The account the username names (findLoginCandidate's row), if any. */
  candidate: LoginCandidate | undefined;
}

/**
 * What POST /login reads before the password is verified, in one round trip: the parked request
 * (findPendingRequest) and the login candidate (findLoginCandidate). Each round trip costs the
 * event loop a socket write and Postgres a statement, next to a hash on the same cores; a login
 * made three. The two lookups are independent left joins on a one-row relation, so the statement
 * returns exactly one row, with the columns of whichever side found nothing null. The user is
 * looked up whether or not the request is still there: the statement is the same either way.
 */
export async function readLoginInputs(q: Queryable, requestId: unknown, now: Date, key: string, deviceNonce: string): Promise<LoginInputs> {
  if (!isPendingRequestId(requestId)) return { pending: undefined, candidate: undefined };
  const query = q
    .selectFrom(sql<{ one: number }>`(select 1 as one)`.as('one'))
    .leftJoin('authorization_requests as r', (join) => join.on('r.id', '=', requestId).on('r.expires_at', '>', now))
    .leftJoin('users', (join) => join.on(sql<string>`lower(users.username)`, '=', key))
    .leftJoin('login_device_failures as d', (join) => join.onRef('d.user_id', '=', 'users.id').on('d.nonce', '=', deviceNonce))
    .select(USER_COLUMNS)
    .select([
      'd.failed_logins as device_failures',
      'r.id as request_id',
      'r.params as request_params',
      'r.created_at as request_created_at',
      'r.login_session_id as request_login_session_id',
    ]);
  const row = (await executePrepared(q, 'login_inputs', query)).rows[0]!;
  const { request_id, request_params, request_created_at, request_login_session_id, ...user } = row;
  const pending =
    request_id === null ? undefined : pendingRequestFromRow({ id: request_id, params: request_params, created_at: request_created_at!, login_session_id: request_login_session_id });
  return { pending, candidate: user.id === null ? undefined : (user as LoginCandidate) };
}
