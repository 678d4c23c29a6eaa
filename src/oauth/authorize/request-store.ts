import type { Queryable } from '../../db/queryable.js';
import { randomBytes } from 'node:crypto';
import { jsonb } from '../../db/json.js';
import { executePrepared } from '../../db/prepared.js';
import type { SignInRequest } from './prompt.js';

/** How long a user has to log in and consent before the pending request expires. */
const PENDING_LIFETIME_SECONDS = 15 * 60;

/** Requests parked before kinds existed were all authorization-code requests. */
const KIND_BEFORE_KINDS = 'authorization_code';

export interface PendingRequest {
  id: string;
  createdAt: Date;
  /** Selects the final step (final-steps.ts) that ends this sign-in. */
  kind: string;
  /** The request as its kind parked it (for authorization_code: a ValidAuthorizationRequest). */
  request: SignInRequest;
  /** The session whose login was made for this request, once there is one. */
  loginSessionId: string | null;
}

/**
 * Parks a validated request while the user signs in. The kind is stored beside the request's own
 * fields in `params` (no request type has a field named `kind`).
 */
export async function savePendingRequest(q: Queryable, kind: string, request: SignInRequest, now: Date): Promise<string> {
  const id = randomBytes(24).toString('base64url');
  await q
    .insertInto('authorization_requests')
    .values({
      id,
      client_id: request.clientId,
      params: jsonb({ ...request, kind }),
      created_at: now,
      expires_at: new Date(now.getTime() + PENDING_LIFETIME_SECONDS * 1000),
    })
    .execute();
  return id;
}

/** The columns a pending request is read from, named: the reads are prepared (see findPendingRequest). */
const PENDING_REQUEST_COLUMNS = ['id', 'client_id', 'params', 'created_at', 'expires_at', 'login_session_id'] as const;

/** The shape of an id savePendingRequest makes; anything else names no request and is never looked up. */
export function isPendingRequestId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{32}$/.test(id);
}

/** A row of PENDING_REQUEST_COLUMNS as the sign-in steps use it. */
export function pendingRequestFromRow(row: { id: string; params: unknown; created_at: Date; login_session_id: string | null }): PendingRequest {
  const { kind, ...request } = row.params as SignInRequest & { kind?: string };
  return { id: row.id, createdAt: row.created_at, kind: kind ?? KIND_BEFORE_KINDS, request, loginSessionId: row.login_session_id };
}

export async function findPendingRequest(q: Queryable, id: unknown, now: Date): Promise<PendingRequest | undefined> {
  if (!isPendingRequestId(id)) return undefined;
  // Prepared (every step of every sign-in reads it first), so its columns are named: a prepared
  // `select *` fails once a migration run by another instance adds a column.
  const query = q.selectFrom('authorization_requests').select(PENDING_REQUEST_COLUMNS).where('id', '=', id).where('expires_at', '>', now);
  const row = (await executePrepared(q, 'pending_request', query)).rows[0];
  return row && pendingRequestFromRow(row);
}

/**
 * Ends a pending request; true when this call ended it. A final step claims the request this way
 * before it delivers anything, so of two requests finishing one sign-in at once (a double-clicked
 * Allow, two resumes) only one delivers, and a request already refused delivers nothing.
 */
export async function deletePendingRequest(q: Queryable, id: string): Promise<boolean> {
  const deleted = await q.deleteFrom('authorization_requests').where('id', '=', id).returning('id').executeTakeFirst();
  return deleted !== undefined;
}
