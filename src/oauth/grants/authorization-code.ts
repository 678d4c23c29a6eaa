import { randomUUID } from 'node:crypto';
import { storedAmr } from '../../users/assurance.js';
import { recordAudit } from '../../audit/record.js';
import { withTransaction } from '../../db/transaction.js';
import type { AuthenticatedClient } from '../../clients/authenticate.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { Params } from '../../http/params.js';
import { findUserById } from '../../users/store.js';
import { markExchangeFailed, redeemCode } from '../authorize/code-store.js';
import type { OAuthDeps } from '../deps.js';
import { nowDate } from '../../clock.js';
import { verifierMatchesChallenge } from '../pkce.js';
import { redirectUriRegistered } from '../authorize/validate.js';
import type { AuthCodeRow } from '../../db/tables/sign-in.js';
import type { Client } from '../../clients/store.js';
import type { TokenResponse } from '../token/response.js';
import type { TokenEndpointSettings } from '../token/settings.js';
import type { Grant, RequestOrigin } from './grant.js';
import { revokeReplayedGrant, startUserGrant } from './user-grant.js';

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

/**
 * Says only what the presenter of the code could already know (their exchange failed), not why:
 * the reason was in the answer to that exchange.
 */
export const CONSUMED_BY_FAILED_EXCHANGE =
  'the authorization code was consumed by an earlier exchange that failed (a code is single-use, even when its exchange is refused): start a new authorization request';

/**
 * RFC 6749 4.1.3: when the authorization request named redirect_uri, the token request must carry
 * the identical value; when it did not (one URI registered), a value sent must still match. The
 * URI must also still be registered: a client shrunk since the code was issued gets no tokens
 * for a redirect URI it gave up.
 */
function redirectUriProblem(code: AuthCodeRow, presented: string | undefined, client: Client): string | undefined {
  if (presented === undefined && code.redirect_uri_given) return 'redirect_uri is required: the authorization request carried it';
  if (presented !== undefined && presented !== code.redirect_uri) return 'redirect_uri does not match the authorization request';
  if (!redirectUriRegistered(client, code.redirect_uri)) return 'the redirect_uri is no longer registered for this client';
  return undefined;
}

/**
 * RFC 6749 4.1.3 + RFC 7636 4.6. The code is consumed atomically together with the creation of
 * its grant; a code presented a second time revokes that grant and every token it produced.
 */
async function exchangeAuthorizationCode(
  deps: OAuthDeps,
  settings: TokenEndpointSettings,
  caller: AuthenticatedClient,
  params: Params,
  origin: RequestOrigin,
  dpopJkt: string | null,
): Promise<TokenResponse> {
  if (params.code === undefined) throw new OAuthError('invalid_request', 'code is required');
  if (params.code_verifier === undefined) throw invalidGrant('code_verifier is required (PKCE)');
  const now = nowDate(deps);
  const grantId = randomUUID();

  const outcome = await withTransaction(deps.db, async (trx) => {
    const redemption = await redeemCode(trx, params.code!, grantId, now);
    if (redemption.status !== 'redeemed') return redemption;
    const code = redemption.code;
    // The code is spent from here on, whatever goes wrong below: a failed exchange is not retried
    // (RFC 6749 4.1.2: single use; an attacker guessing verifiers gets one try).
    const reject = async (reason: string) => {
      await markExchangeFailed(trx, code.code_hash);
      return { status: 'rejected' as const, reason };
    };
    if (code.client_id !== caller.client.clientId) return reject('the code was issued to another client');
    const redirectProblem = redirectUriProblem(code, params.redirect_uri, caller.client);
    if (redirectProblem) return reject(redirectProblem);
    if (!verifierMatchesChallenge(params.code_verifier!, code.code_challenge)) return reject('code_verifier does not match the code_challenge');
    // RFC 9449 10: a code bound at /authorize with dpop_jkt is redeemed only with a proof of that key.
    if (code.dpop_jkt !== null && code.dpop_jkt !== dpopJkt) return reject('the DPoP proof does not use the key the authorization request named (dpop_jkt)');
    const user = await findUserById(trx, code.user_id);
    if (!user || user.disabled) return reject('the authorization is no longer valid');
    const started = await startUserGrant(trx, deps, settings, {
      grantId,
      client: caller.client,
      user,
      approval: { userId: code.user_id, sessionId: code.session_id, scope: code.scope, audience: code.audience, authTime: code.auth_time, amr: storedAmr(code.amr), nonce: code.nonce },
      origin,
      now,
      dpopJkt,
    });
    if (!started.ok) return reject(started.reason);
    // The row commits with the grant; the log line is written once it has (audit/record.ts).
    await recordAudit(trx, origin.log, {
      type: 'token_issued',
      userId: code.user_id,
      clientId: code.client_id,
      ip: origin.ip,
      details: { grant: 'authorization_code', grantId, jti: started.jti, scope: started.scope, refreshToken: started.withRefreshToken },
    });
    const response = started.response;
    return { status: 'issued' as const, response };
  });

  switch (outcome.status) {
    case 'issued':
      return outcome.response;
    case 'replayed': {
      const { grant_id: replayedGrant, user_id: userId, client_id: clientId } = outcome.code;
      // No grant: the one exchange this code had was refused (see markExchangeFailed).
      if (!replayedGrant) throw invalidGrant(CONSUMED_BY_FAILED_EXCHANGE);
      await revokeReplayedGrant(deps, { grantId: replayedGrant, userId, clientId, reason: 'authorization code replayed' }, origin, now);
      throw invalidGrant('the authorization code has already been used');
    }
    case 'rejected':
      throw invalidGrant(outcome.reason);
    default:
      throw invalidGrant('the authorization code is invalid or expired');
  }
}

export const authorizationCodeGrant: Grant<'authorization_code'> = {
  type: 'authorization_code',
  parameters: ['code', 'code_verifier', 'redirect_uri'],
  handle: ({ deps, settings, caller, params, origin, dpopJkt }) => exchangeAuthorizationCode(deps, settings, caller, params, origin, dpopJkt),
};
