import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readParams } from '../http/params.js';
import { userClaims } from '../users/claims.js';
import { findUserById } from '../users/store.js';
import { authenticateAccessToken, challengeError } from './bearer.js';
import type { OAuthDeps } from './deps.js';
import { parseScope } from './scopes.js';

/** OIDC Core 5.3: the claims the access token's scopes release about its user. */
async function userinfo(deps: OAuthDeps, request: FastifyRequest, reply: FastifyReply, form: unknown) {
  reply.header('cache-control', 'no-store');
  const params = readParams(form);
  const { payload, scheme } = await authenticateAccessToken(deps, request, params.access_token);
  const scopes = parseScope(typeof payload.scope === 'string' ? payload.scope : '');
  if (!scopes.includes('openid')) throw challengeError(scheme, 'insufficient_scope', 'the access token lacks the openid scope', 403);
  const user = typeof payload.sub === 'string' && /^[0-9a-f-]{36}$/.test(payload.sub) ? await findUserById(deps.db, payload.sub) : undefined;
  if (!user || user.disabled) throw challengeError(scheme, 'invalid_token', 'the access token is invalid, expired or revoked', 401);
  return reply.send({ sub: user.id, ...userClaims(user, scopes) });
}

export function registerUserinfoRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  app.get('/userinfo', (request, reply) => userinfo(deps, request, reply, undefined));
  app.post('/userinfo', (request, reply) => userinfo(deps, request, reply, request.body));
}
