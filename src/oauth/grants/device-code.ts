import { randomUUID } from 'node:crypto';
import { recordAudit } from '../../audit/record.js';
import { withTransaction } from '../../db/transaction.js';
import { OAuthError } from '../../http/oauth-error.js';
import { findUserById } from '../../users/store.js';
import { nowDate } from '../../clock.js';
import { DEVICE_CODE_GRANT_TYPE } from '../device/grant-type.js';
import { pollDeviceCode, setDeviceGrantId, type ApprovedDeviceAuthorization, type DevicePoll } from '../device/store.js';
import type { TokenResponse } from '../token/response.js';
import type { Grant, GrantContext } from './grant.js';
import { revokeReplayedGrant, startUserGrant } from './user-grant.js';

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

/** RFC 8628 3.5: what the device is told while there are no tokens (always 400, RFC 6749 5.2 JSON). */
const WAITING: Record<'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token', string> = {
  authorization_pending: 'the user has not yet approved the request',
  slow_down: 'polling too often: wait longer between requests (the interval grew by 5 seconds)',
  access_denied: 'the user denied the request',
  expired_token: 'the device code has expired: start again',
};

type Outcome =
  | { status: 'issued'; response: TokenResponse }
  | { status: 'rejected'; reason: string }
  | { status: 'not_approved'; poll: Exclude<DevicePoll, { status: 'approved' }> };

/**
 * RFC 8628 3.4/3.5. The poll (store.ts: one statement, row-locked) decides pending, slow_down,
 * denied, expired, replayed or approved; an approval is consumed in the same transaction that
 * creates its grant, mints the tokens and links the grant to the device authorization, exactly
 * as an authorization code is redeemed (authorization-code.ts). A second redemption revokes the
 * grant the first one created.
 */
async function exchangeDeviceCode({ deps, settings, caller, params, origin, dpopJkt }: GrantContext): Promise<TokenResponse> {
  if (params.device_code === undefined) throw new OAuthError('invalid_request', 'device_code is required');
  const deviceCode = params.device_code;
  const { client } = caller;
  const now = nowDate(deps);
  const grantId = randomUUID();

  const outcome = await withTransaction(deps.db, async (trx): Promise<Outcome> => {
    const poll = await pollDeviceCode(trx, { deviceCode, clientId: client.clientId, now });
    // Not an error for the transaction: a slow_down's longer interval must commit.
    if (poll.status !== 'approved') return { status: 'not_approved', poll };
    const approved: ApprovedDeviceAuthorization = poll.authorization;
    // The approval is spent from here on, whatever goes wrong below: a failed exchange is not retried.
    const reject = (reason: string): Outcome => ({ status: 'rejected', reason });
    const user = await findUserById(trx, approved.userId);
    if (!user || user.disabled) return reject('the authorization is no longer valid');
    const started = await startUserGrant(trx, deps, settings, {
      grantId,
      client,
      user,
      approval: { ...approved, nonce: null },
      origin,
      now,
      dpopJkt,
    });
    if (!started.ok) return reject(started.reason);
    // In the same transaction, so that a replay never finds the approval consumed but unlinked.
    await setDeviceGrantId(trx, approved.id, grantId);
    await recordAudit(trx, origin.log, {
      type: 'token_issued',
      userId: approved.userId,
      clientId: client.clientId,
      ip: origin.ip,
      details: { grant: DEVICE_CODE_GRANT_TYPE, grantId, jti: started.jti, scope: started.scope, refreshToken: started.withRefreshToken, deviceAuthorizationId: approved.id },
    });
    const response = started.response;
    return { status: 'issued', response };
  });

  if (outcome.status === 'issued') return outcome.response;
  if (outcome.status === 'rejected') throw invalidGrant(outcome.reason);
  const { poll } = outcome;
  if (poll.status !== 'invalid_grant') throw new OAuthError(poll.status, WAITING[poll.status]);
  if (poll.reason === 'replayed') {
    if (poll.grantId) {
      await revokeReplayedGrant(deps, { grantId: poll.grantId, userId: poll.userId, clientId: poll.clientId, reason: 'device code replayed', details: { deviceAuthorizationId: poll.id } }, origin, now);
    }
    throw invalidGrant('the device code has already been used');
  }
  // Unknown and another client's code read alike: nobody learns which codes exist.
  throw invalidGrant('the device code is invalid');
}

/** RFC 8628 3.4: the device polls with the device_code it got at /device_authorization. */
export const deviceCodeGrant: Grant<typeof DEVICE_CODE_GRANT_TYPE> = {
  type: DEVICE_CODE_GRANT_TYPE,
  parameters: ['device_code'],
  handle: exchangeDeviceCode,
};
