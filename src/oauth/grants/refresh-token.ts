import type { AuthenticatedClient } from '../../clients/authenticate.js';
import { logAudit, recordAudit } from '../../audit/record.js';
import { withTransaction } from '../../db/transaction.js';
import { OAuthError } from '../../http/oauth-error.js';
import { TOKEN_PREFIX } from '../../opaque-token.js';
import { newJti } from '../../tokens/access-token.js';
import { revokeGrant } from '../../tokens/grant-store.js';
import { diagnoseRefreshFailure, replayInGrace, type RefreshedGrant } from '../../tokens/refresh-store.js';
import { successorRefreshToken } from '../../tokens/refresh-successor.js';
import type { OAuthDeps } from '../deps.js';
import { nowDate } from '../../clock.js';
import { formatScope, isSubset, parseScope } from '../scopes.js';
import { mintUserTokens } from '../token/issue.js';
import { readRefreshCookie } from '../token/refresh-cookie.js';
import type { TokenResponse } from '../token/response.js';
import type { Grant, GrantContext } from './grant.js';
import { userGrantableScopes } from '../../clients/credentials.js';
import { audiencesStillAllowed } from '../audience.js';

const invalidGrant = (description = 'the refresh token is invalid, expired or revoked') => new OAuthError('invalid_grant', description);

/**
 * What a cookie-mode client is told when neither a refresh_token nor its cookie arrived: the usual
 * causes, from the one the SPA's developer cannot see (the browser withheld a SameSite=Strict
 * cookie) to the mundane. The anchor is the README section that explains it.
 */
export const NO_REFRESH_COOKIE =
  "no refresh cookie arrived (and no refresh_token): browsers send it only to an issuer on the same site as the page, with fetch credentials: 'include'; it is also gone once the family expired or was revoked (README#the-refresh-cookie-is-sent-only-same-site)";

function presentedToken({ settings, caller: { client }, params, request }: GrantContext): string {
  const token = params.refresh_token ?? (client.refreshCookie ? readRefreshCookie(request, settings.issuer, client) : undefined);
  if (token === undefined) throw new OAuthError('invalid_request', client.refreshCookie ? NO_REFRESH_COOKIE : 'refresh_token is required');
  if (!token.startsWith(TOKEN_PREFIX.refreshToken) || token.length > 100) throw invalidGrant();
  return token;
}

async function respond(deps: OAuthDeps, grant: RefreshedGrant, scopes: string[], jti: string, successor: string, now: Date, dpopJkt: string | null): Promise<TokenResponse> {
  if (!grant.user) throw invalidGrant();
  const { response } = await mintUserTokens(deps.tokens, {
    clientId: grant.clientId,
    user: grant.user,
    scopes,
    audience: grant.audience,
    authTime: grant.authTime,
    amr: grant.amr,
    sessionId: grant.sessionId,
    jti,
    dpopJkt,
  });
  response.refresh_token = successor;
  response.refresh_expires_in = Math.floor((grant.absoluteExpiresAt.getTime() - now.getTime()) / 1000);
  return response;
}

/** RFC 6749 6: the requested scope must be within what the client may have now (item 9 of issue 10). */
function requireScopeStillRegistered({ client }: AuthenticatedClient, requested: string[] | undefined): void {
  if (requested && !isSubset(requested, client.scopes)) throw new OAuthError('invalid_scope', 'the requested scope is not allowed for this client');
}

/**
 * A family exists because the client may keep users signed in (offline_access, or --always-refresh,
 * see wantsRefreshToken): a client that lost both no longer refreshes, and nothing is consumed.
 */
function requireRefreshStillAllowed({ client }: AuthenticatedClient): void {
  if (!client.alwaysIssueRefresh && !userGrantableScopes(client).includes('offline_access')) throw invalidGrant();
}

/**
 * RFC 6749 6 with rotation: the presented token is consumed atomically and its successor issued in
 * the same family. The successor is derived from the presented token with a server key, so the
 * family's latest consumed token presented again inside the REFRESH_REUSE_GRACE window (several
 * tabs refreshing at once) gets the same successor and a fresh access token: the family never
 * forks (RFC 9700 4.14.2). Any other consumed token revokes the family. The family keeps only
 * the scopes the client still has.
 */
async function rotateAndIssue(context: GrantContext): Promise<TokenResponse> {
  const { deps, settings, caller, params, origin, dpopJkt } = context;
  const token = presentedToken(context);
  const requested = params.scope === undefined ? undefined : parseScope(params.scope);
  requireScopeStillRegistered(caller, requested);
  requireRefreshStillAllowed(caller);
  const now = nowDate(deps);
  const rotation = {
    presentedToken: token,
    clientId: caller.client.clientId,
    requestedScope: requested && formatScope(requested),
    clientScopes: userGrantableScopes(caller.client),
    clientAudiences: audiencesStillAllowed(caller.client, settings.issuer),
    successorToken: successorRefreshToken(deps.refreshSuccessorKey, token),
    accessTokenJti: newJti(),
    // +1 s: the token's own exp is computed a moment later, from the same clock.
    accessTokenExpiresAt: new Date(now.getTime() + (settings.accessTokenTtl + 1) * 1000),
    idleSeconds: settings.refreshIdleTtl,
    now,
    ip: origin.ip ?? null,
    dpopJkt,
  };
  const graceSeconds = settings.refreshReuseGrace;
  const scopesFor = (grant: RefreshedGrant) => requested ?? parseScope(grant.scope);

  // The token_issued row was written by the rotation statement itself (one round trip, one
  // commit); what is left is the log line and the in-process listeners, after that commit.
  const issue = async (grant: RefreshedGrant, grace: boolean) => {
    const scopes = scopesFor(grant);
    const response = await respond(deps, grant, scopes, rotation.accessTokenJti, rotation.successorToken, now, dpopJkt);
    logAudit(origin.log, {
      type: 'token_issued',
      userId: grant.userId,
      clientId: grant.clientId,
      ip: origin.ip,
      details: { grant: 'refresh_token', grantId: grant.grantId, jti: rotation.accessTokenJti, scope: formatScope(scopes), ...(grace ? { grace: true } : {}) },
    });
    return response;
  };

  const rotated = await deps.rotations.rotate(rotation);
  if (rotated) return issue(rotated, false);

  let failure = await diagnoseRefreshFailure(deps.db, rotation, graceSeconds);
  if (failure.kind === 'grace') {
    const replayed = await replayInGrace(deps.db, { ...rotation, grantId: failure.grantId, graceSeconds });
    if (replayed) return issue(replayed, true);
    // The replay stopped qualifying in between (its successor was used, the window closed):
    // judge it again. A second 'grace' verdict means the successor is not the stored one.
    failure = await diagnoseRefreshFailure(deps.db, rotation, graceSeconds);
  }
  switch (failure.kind) {
    case 'reuse':
      await withTransaction(deps.db, async (trx) => {
        if (await revokeGrant(trx, failure.grantId, 'refresh token reuse detected', now)) {
          await recordAudit(trx, origin.log, {
            type: 'refresh_reuse_detected',
            userId: failure.userId,
            clientId: failure.clientId,
            ip: origin.ip,
            details: { grantId: failure.grantId },
          });
        }
      });
      throw invalidGrant();
    case 'invalid_scope':
      throw new OAuthError('invalid_scope', 'the requested scope exceeds what was granted');
    case 'wrong_key':
      throw invalidGrant('the refresh token is bound to another DPoP key (or needs a DPoP proof)');
    default:
      throw invalidGrant();
  }
}

export const refreshTokenGrant: Grant<'refresh_token'> = {
  type: 'refresh_token',
  parameters: ['refresh_token', 'scope'],
  handle: rotateAndIssue,
};
