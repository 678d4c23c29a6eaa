import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient, type AuthenticatedClient } from '../clients/authenticate.js';
import { recordAudit } from '../audit/record.js';
import { withTransaction } from '../db/transaction.js';
import { OAuthError } from '../http/oauth-error.js';
import type { Params } from '../http/params.js';
import { TOKEN_PREFIX } from '../opaque-token.js';
import { denyJti, isJtiRevoked, revokeGrant } from '../tokens/grant-store.js';
import { findRefreshToken } from '../tokens/refresh-store.js';
import { requireAllowedOrigin } from './cors.js';
import { nowDate, type OAuthDeps } from './deps.js';
import { verifyOwnAccessToken } from './own-token.js';
import { clearRefreshCookie, readRefreshCookie } from './token/refresh-cookie.js';
import { requireFormBody } from './token/route.js';

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
  if (!(await isJtiRevoked(deps.db, jti))) {
    await denyJti(deps.db, jti, new Date(Number(payload.exp) * 1000));
    await recordAudit(deps.db, request.log, { type: 'token_revoked', userId: null, clientId: caller.client.clientId, ip: request.ip, details: { jti, sub: String(payload.sub) } });
  }
  return true;
}

function presentedToken(deps: OAuthDeps, { client }: AuthenticatedClient, params: Params, request: FastifyRequest): { token: string; fromCookie: boolean } {
  if (params.token !== undefined) return { token: params.token, fromCookie: false };
  const cookie = client.refreshCookie ? readRefreshCookie(request, deps.config.ISSUER, client) : undefined;
  if (cookie !== undefined) return { token: cookie, fromCookie: true };
  throw new OAuthError('invalid_request', 'token is required');
}

/**
 * RFC 7009. A refresh token revokes its whole family; an access token's jti is denied until its
 * exp. token_type_hint only orders the lookups. Unknown, foreign or already revoked tokens get the
 * same 200 as revoked ones.
 */
async function revoke(deps: OAuthDeps, request: FastifyRequest, reply: FastifyReply) {
  reply.header('cache-control', 'no-store');
  const params = requireFormBody(request);
  const caller = await authenticateClient(deps.db, request.headers.authorization, params);
  requireAllowedOrigin(request, caller.client);
  const { token, fromCookie } = presentedToken(deps, caller, params, request);
  const looksOpaque = token.startsWith(TOKEN_PREFIX.refreshToken);
  const order = params.token_type_hint === 'access_token' || !looksOpaque ? [revokeAccessToken, revokeRefreshToken] : [revokeRefreshToken, revokeAccessToken];
  for (const attempt of order) if (await attempt(deps, caller, token, request)) break;
  if (fromCookie || caller.client.refreshCookie) clearRefreshCookie(reply, deps.config.ISSUER, caller.client);
  return reply.code(200).send();
}

export function registerRevokeRoute(app: FastifyInstance, deps: OAuthDeps, routeOptions: Record<string, unknown> = {}): void {
  app.post('/revoke', routeOptions, (request, reply) => revoke(deps, request, reply));
}
