import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { recordAudit } from '../../audit/record.js';
import { userGrantableScopes } from '../../clients/credentials.js';
import type { Client } from '../../clients/store.js';
import { withTransaction } from '../../db/transaction.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { Params } from '../../http/params.js';
import { resolveAudience } from '../audience.js';
import { authenticatedCaller, formParams } from '../client-request.js';
import type { OAuthDeps } from '../deps.js';
import { nowDate } from '../../clock.js';
import { formatScope, isSubset, parseScope } from '../scopes.js';
import { DEVICE_CODE_GRANT_TYPE } from './grant-type.js';
import { DEVICE_PATH } from './pages.js';
import type { DeviceSettings } from './settings.js';
import { createDeviceAuthorization } from './store.js';

export const DEVICE_AUTHORIZATION_PATH = '/device_authorization';

/** RFC 8628 3.2. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/**
 * What a device may ask the user for: the client's registered scopes, never the reserved `admin`
 * (a user's token never administers Latchkey). No scope parameter: all of them.
 */
function requestedScope(client: Client, scope: string | undefined): string {
  const allowed = userGrantableScopes(client);
  const requested = scope === undefined ? allowed : parseScope(scope);
  if (requested.length === 0) throw new OAuthError('invalid_scope', 'there is no scope to ask for');
  if (!isSubset(requested, allowed)) throw new OAuthError('invalid_scope', 'the requested scope is not allowed for this client');
  return formatScope(requested);
}

/**
 * RFC 8628 3.1: validate like /authorize (grant, scope, RFC 8707 resource), then store the request
 * with its two codes and answer them with where the user goes (3.2).
 */
async function authorizeDevice(deps: OAuthDeps, settings: DeviceSettings, request: FastifyRequest, reply: FastifyReply) {
  const { client } = authenticatedCaller(request);
  const params: Params = formParams(request);
  if (!client.grantTypes.includes(DEVICE_CODE_GRANT_TYPE)) throw new OAuthError('unauthorized_client', 'this client may not use the device authorization grant');
  const scope = requestedScope(client, params.scope);
  const audience = resolveAudience(client, settings.issuer, params.resource);
  const now = nowDate(deps);
  const issued = await withTransaction(deps.db, async (trx) => {
    const created = await createDeviceAuthorization(trx, {
      clientId: client.clientId,
      scope,
      audience,
      intervalSeconds: settings.pollIntervalSeconds,
      lifetimeSeconds: settings.codeLifetimeSeconds,
      now,
    });
    await recordAudit(trx, request.log, {
      type: 'device_authorization_created',
      clientId: client.clientId,
      ip: request.ip,
      details: { deviceAuthorizationId: created.id, scope },
    });
    return created;
  });
  const verificationUri = `${settings.issuer}${DEVICE_PATH}`;
  const body: DeviceAuthorizationResponse = {
    device_code: issued.deviceCode,
    user_code: issued.userCode,
    verification_uri: verificationUri,
    verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(issued.userCode)}`,
    expires_in: settings.codeLifetimeSeconds,
    interval: settings.pollIntervalSeconds,
  };
  return reply.code(200).send(body);
}

/**
 * POST /device_authorization, inside the client-authenticated plugin (src/oauth/client-endpoints.ts):
 * by then the answer is no-store, the body a form and the client authenticated with its
 * registered method (a public client names itself with client_id). `onRequest`: the /token limit.
 */
export function registerDeviceAuthorizationRoute(app: FastifyInstance, deps: OAuthDeps, settings: DeviceSettings, hooks: { onRequest: onRequestHookHandler[] }): void {
  app.post(DEVICE_AUTHORIZATION_PATH, hooks, (request, reply) => authorizeDevice(deps, settings, request, reply));
}
