import type { FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import { isClientCredentialsToken } from '../clients/credentials.js';
import { ADMIN_SCOPE } from '../clients/schema.js';
import { authenticateAccessToken, challengeError } from '../oauth/bearer.js';
import type { OAuthDeps } from '../oauth/deps.js';
import { liveCredentialsClient } from '../oauth/client-token-liveness.js';
import { parseScope } from '../oauth/scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client whose admin-scoped token authorised this admin call. */
    adminClientId?: string;
  }
}

type AdminAccess = { allowed: true; clientId: string } | { allowed: false; status: 401 | 403; reason: string };

const DEAD_TOKEN = { allowed: false, status: 401, reason: 'the admin client is gone or its credentials changed' } as const;

/**
 * Decides from the client's current row, read on every call (no cache): a client that was
 * deleted, demoted or had its secret rotated loses access at once.
 */
async function adminAccess(deps: OAuthDeps, payload: JWTPayload): Promise<AdminAccess> {
  if (!isClientCredentialsToken(payload)) return { allowed: false, status: 403, reason: 'not a client_credentials token of an admin client' };
  const client = await liveCredentialsClient(deps.db, payload);
  if (!client) return DEAD_TOKEN;
  if (!client.admin) return { allowed: false, status: 403, reason: 'the client is not an admin client' };
  if (!parseScope(typeof payload.scope === 'string' ? payload.scope : '').includes(ADMIN_SCOPE)) {
    return { allowed: false, status: 403, reason: 'the access token lacks the admin scope' };
  }
  return { allowed: true, clientId: client.clientId };
}

/** The user a token speaks for (our user ids are UUIDs), or null for a client's own token. */
function userBehind(payload: JWTPayload): string | null {
  if (isClientCredentialsToken(payload) || typeof payload.sub !== 'string') return null;
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(payload.sub) ? payload.sub : null;
}

/**
 * Admin calls carry a Latchkey access token for Latchkey itself (aud = issuer), minted by
 * client_credentials for a client created with --admin, with scope `admin`. 401 with a Bearer
 * challenge without a valid, live token; 403 insufficient_scope for any other valid token (a
 * user's token, an ordinary client's), and that refusal is audited.
 */
export function requireAdmin(deps: OAuthDeps) {
  return async (request: FastifyRequest) => {
    const { payload, scheme } = await authenticateAccessToken(deps, request);
    const access = await adminAccess(deps, payload);
    if (access.allowed) {
      request.adminClientId = access.clientId;
      return;
    }
    if (access.status === 401) throw challengeError(scheme, 'invalid_token', 'the access token is invalid, expired or revoked', 401);
    await deps.audit.record(request.log, {
      type: 'admin_access_denied',
      userId: userBehind(payload),
      clientId: typeof payload.client_id === 'string' ? payload.client_id : null,
      ip: request.ip,
      details: { reason: access.reason, method: request.method, route: request.routeOptions.url ?? '' },
    });
    throw challengeError(scheme, 'insufficient_scope', 'the access token does not grant admin access', 403);
  };
}
