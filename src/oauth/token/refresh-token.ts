import type { FastifyRequest } from 'fastify';
import type { AuthenticatedClient } from '../../clients/authenticate.js';
import { recordAudit } from '../../audit/record.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { Params } from '../../http/params.js';
import { newOpaqueToken, TOKEN_PREFIX } from '../../opaque-token.js';
import { newJti } from '../../tokens/access-token.js';
import { revokeGrant } from '../../tokens/grant-store.js';
import { diagnoseRefreshFailure, issueInGrace, rotateRefreshToken, type RefreshedGrant } from '../../tokens/refresh-store.js';
import { nowDate, type OAuthDeps } from '../deps.js';
import { formatScope, parseScope } from '../scopes.js';
import { mintUserTokens } from './issue.js';
import { readRefreshCookie } from './refresh-cookie.js';
import type { TokenResponse } from './response.js';

const invalidGrant = (description = 'the refresh token is invalid, expired or revoked') => new OAuthError('invalid_grant', description);

function presentedToken(deps: OAuthDeps, { client }: AuthenticatedClient, params: Params, request: FastifyRequest): string {
  const token = params.refresh_token ?? (client.refreshCookie ? readRefreshCookie(request, deps.config.ISSUER, client) : undefined);
  if (token === undefined) throw new OAuthError('invalid_request', 'refresh_token is required');
  if (!token.startsWith(TOKEN_PREFIX.refreshToken) || token.length > 100) throw invalidGrant();
  return token;
}

function respond(deps: OAuthDeps, grant: RefreshedGrant, scopes: string[], jti: string, successor: string, now: Date): TokenResponse {
  if (!grant.user) throw invalidGrant();
  const { response } = mintUserTokens(deps.tokens, {
    clientId: grant.clientId,
    user: grant.user,
    scopes,
    audience: grant.audience,
    authTime: grant.authTime,
    sessionId: grant.sessionId,
    jti,
  });
  response.refresh_token = successor;
  response.refresh_expires_in = Math.floor((grant.absoluteExpiresAt.getTime() - now.getTime()) / 1000);
  return response;
}

/**
 * RFC 6749 6 with rotation: the presented token is consumed atomically and a successor issued in
 * the same family. A consumed token presented again revokes the family, unless it is the family's
 * latest consumed token inside the REFRESH_REUSE_GRACE window (several tabs refreshing at once),
 * which then gets a fresh pair in the same family.
 */
export async function refreshTokenGrant(deps: OAuthDeps, caller: AuthenticatedClient, params: Params, request: FastifyRequest): Promise<TokenResponse> {
  const token = presentedToken(deps, caller, params, request);
  const requested = params.scope === undefined ? undefined : parseScope(params.scope);
  const now = nowDate(deps);
  const rotation = {
    presentedToken: token,
    clientId: caller.client.clientId,
    requestedScope: requested && formatScope(requested),
    successorToken: newOpaqueToken(TOKEN_PREFIX.refreshToken),
    accessTokenJti: newJti(),
    // +1 s: the token's own exp is computed a moment later, from the same clock.
    accessTokenExpiresAt: new Date(now.getTime() + (deps.config.ACCESS_TOKEN_TTL + 1) * 1000),
    idleSeconds: deps.config.REFRESH_IDLE_TTL,
    now,
  };
  const scopesFor = (grant: RefreshedGrant) => requested ?? parseScope(grant.scope);

  // One audit INSERT per refresh, after the rotation has committed (never inside a transaction
  // holding the family's row locks).
  const issue = async (grant: RefreshedGrant, grace: boolean) => {
    const scopes = scopesFor(grant);
    const response = respond(deps, grant, scopes, rotation.accessTokenJti, rotation.successorToken, now);
    await recordAudit(deps.db, request.log, {
      type: 'token_issued',
      userId: grant.userId,
      clientId: grant.clientId,
      ip: request.ip,
      details: { grant: 'refresh_token', grantId: grant.grantId, jti: rotation.accessTokenJti, scope: formatScope(scopes), ...(grace ? { grace: true } : {}) },
    });
    return response;
  };

  const rotated = await rotateRefreshToken(deps.db, rotation);
  if (rotated) return issue(rotated, false);

  const failure = await diagnoseRefreshFailure(deps.db, rotation, deps.config.REFRESH_REUSE_GRACE);
  switch (failure.kind) {
    case 'grace':
      await issueInGrace(deps.db, { ...rotation, grantId: failure.grant.grantId });
      return issue(failure.grant, true);
    case 'reuse':
      if (await revokeGrant(deps.db, failure.grantId, 'refresh token reuse detected', now)) {
        await recordAudit(deps.db, request.log, {
          type: 'refresh_reuse_detected',
          userId: failure.userId,
          clientId: failure.clientId,
          ip: request.ip,
          details: { grantId: failure.grantId },
        });
      }
      throw invalidGrant();
    case 'invalid_scope':
      throw new OAuthError('invalid_scope', 'the requested scope exceeds what was granted');
    default:
      throw invalidGrant();
  }
}
