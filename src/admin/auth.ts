import type { FastifyRequest } from 'fastify';
import { bearerError, readBearerToken, verifyBearer } from '../oauth/bearer.js';
import type { OAuthDeps } from '../oauth/deps.js';
import { parseScope } from '../oauth/scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client whose admin-scoped token authorised this admin call. */
    adminClientId?: string;
  }
}

/**
 * Admin calls carry a Latchkey access token (client_credentials of an --admin client) whose
 * scope holds `admin`: 401 with a Bearer challenge without a valid one, 403 without the scope.
 */
export function requireAdmin(deps: OAuthDeps) {
  return async (request: FastifyRequest) => {
    const token = readBearerToken(request, undefined);
    const payload = await verifyBearer(deps, token);
    if (!parseScope(typeof payload.scope === 'string' ? payload.scope : '').includes('admin')) {
      throw bearerError('insufficient_scope', 'the access token lacks the admin scope', 403);
    }
    request.adminClientId = String(payload.client_id);
  };
}
