import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedClient } from '../clients/authenticate.js';
import { recordAudit } from '../audit/record.js';
import { withTransaction } from '../db/transaction.js';
import { OAuthError } from '../http/oauth-error.js';
import type { Params } from '../http/params.js';
import { TOKEN_PREFIX } from '../opaque-token.js';
import { denyJti, revokeGrant } from '../tokens/grant-store.js';
import { findRefreshToken } from '../tokens/refresh-store.js';
import { authenticatedCaller, formParams } from './client-request.js';
import type { OAuthDeps } from './deps.js';
import { nowDate } from '../clock.js';
import { verifyOwnAccessToken } from './own-token.js';
import { clearRefreshCookie, readRefreshCookie } from './token/refresh-cookie.js';
import type { TokenRouteHooks } from './token/route.js';
import type { TokenEndpointSettings } from './token/settings.js';

async function revokeRefreshToken(deps: OAuthDeps, caller: AuthenticatedClient, token: string, request: FastifyRequest): Promise<boolean> {
  const now = nowDate(deps);
  const found = await findRefreshToken(deps.db, token, now);
  if (!found) return false;
  // Another client's token: answer 200 as for an unknown one, and touch nothing.
  if (found.clientId !== caller.client.clientId) return true;
  await withTransaction(deps.db, async (trx) => {
    if (await revokeGrant(trx, found.grantId, 'revoked by the client', now)) {
      await recordAudit(trx, request.log, { type: 'family_revoked', userId: found.userId, clientId: found.clientId, ip: request.ip, details: { grantId: found.grantId, reason: 'revoked by the client' } });
    }
  });
  return true;
}

async function revokeAccessToken(deps: OAuthDeps, caller: AuthenticatedClient, token: string, request: FastifyRequest): Promise<boolean> {
  const payload = await verifyOwnAccessToken(deps.tokens, token);
  if (!payload) return false;
  if (payload.client_id !== caller.client.clientId) return true;
  const jti = String(payload.jti);
  // The deny-list insert decides who audits: of two concurrent revocations only one inserts.
  await withTransaction(deps.db, async (trx) => {
    if (!(await denyJti(trx, jti, new Date(Number(payload.exp) * 1000)))) return;
    await recordAudit(trx, request.log, { type: 'token_revoked', userId: null, clientId: caller.client.clientId, ip: request.ip, details: { jti, sub: String(payload.sub) } });
  });
  return true;
}

function presentedToken(settings: TokenEndpointSettings, { client }: AuthenticatedClient, params: Params, request: FastifyRequest): { token: string; fromCookie: boolean } {
  if (params.token !== undefined) return { token: params.token, fromCookie: false };
  const cookie = client.refreshCookie ? readRefreshCookie(request, settings.issuer, client) : undefined;
  if (cookie !== undefined) return { token: cookie, fromCookie: true };
  throw new OAuthError('invalid_request', 'token is required');
}

/**
 * RFC 7009. A refresh token revokes its whole family; an access token's jti is denied until its
 * exp. token_type_hint only orders the lookups. Unknown, foreign or already revoked tokens get the
 * same 200 as revoked ones.
 */
async function revoke(deps: OAuthDeps, settings: TokenEndpointSettings, request: FastifyRequest, reply: FastifyReply) {
  const params = formParams(request);
  const caller = authenticatedCaller(request);
  const { token, fromCookie } = presentedToken(settings, caller, params, request);
  const looksOpaque = token.startsWith(TOKEN_PREFIX.refreshToken);
  const order = params.token_type_hint === 'access_token' || !looksOpaque ? [revokeAccessToken, revokeRefreshToken] : [revokeRefreshToken, revokeAccessToken];
  for (const attempt of order) if (await attempt(deps, caller, token, request)) break;
  if (fromCookie || caller.client.refreshCookie) clearRefreshCookie(reply, settings.issuer, caller.client);
  return reply.code(200).send();
}

/** POST /revoke, inside the client-authenticated plugin (src/oauth/client-endpoints.ts). */
export function registerRevokeRoute(app: FastifyInstance, deps: OAuthDeps, settings: TokenEndpointSettings, hooks: TokenRouteHooks): void {
  app.post('/revoke', hooks, (request, reply) => revoke(deps, settings, request, reply));
}
