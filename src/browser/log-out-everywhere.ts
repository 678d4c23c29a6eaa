import type { Trx } from '../db/queryable.js';
import { revokeGrantsOf } from '../tokens/grant-store.js';
import { endUserSessions } from './session-store.js';

/**
 * Revokes everything a user holds: every refresh family (and its access tokens) and every browser
 * session. Opens no transaction: the caller runs it inside the one that makes the change calling
 * for it (a new password, disabling, deletion), so the user is never left half logged out.
 */
export async function logOutEverywhere(trx: Trx, userId: string, reason: string, now: Date) {
  const revokedFamilies = await revokeGrantsOf(trx, { userId }, reason, now);
  const endedSessions = await endUserSessions(trx, userId, now);
  return { revoked_families: revokedFamilies, ended_sessions: endedSessions };
}
