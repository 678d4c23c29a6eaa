import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { namedClientId } from '../clients/authenticate.js';
import { clientAllowsOrigin, clientHasBrowserOrigins } from '../clients/browser-origins.js';
import type { ClientLookup } from '../clients/cache.js';
import { anyClientAllowsOrigin, type Client } from '../clients/store.js';
import type { Database } from '../db/types.js';
import { OAuthError } from '../http/oauth-error.js';
import { formParams } from './client-request.js';

const CACHE_MS = 5_000;
const MAX_ORIGIN_LENGTH = 300;

/** Whether some client accepts browser calls from an origin (clients/browser-origins.ts). */
export type RegisteredOrigins = (origin: string) => Promise<boolean>;

/** Registered origins, remembered for a few seconds per origin (a preflight and its request ask twice). */
export function registeredOrigins(db: Kysely<Database>, clock: Clock): RegisteredOrigins {
  const known = new Map<string, { allowed: boolean; until: number }>();
  return async (origin) => {
    const cached = known.get(origin);
    if (cached && cached.until > clock.now()) return cached.allowed;
    const allowed = await anyClientAllowsOrigin(db, origin);
    if (known.size > 10_000) known.clear();
    known.set(origin, { allowed, until: clock.now() + CACHE_MS });
    return allowed;
  };
}

function requestOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin.length <= MAX_ORIGIN_LENGTH ? origin : undefined;
}

function allowWithCredentials(reply: FastifyReply, origin: string): void {
  reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
  // A DPoP client in a browser must read the nonce and the challenge (RFC 9449 8, 7.1).
  if (reply.request.method !== 'OPTIONS') reply.header('access-control-expose-headers', 'DPoP-Nonce, WWW-Authenticate');
}

/** Answers depend on Origin: every response of a CORS endpoint says so, allowed or not, so no cache mixes them up. */
export function varyOnOrigin(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('vary', 'Origin');
  done();
}

/**
 * /token and /revoke (preValidation, once the form is read and before the client authenticates,
 * so a browser can read an invalid_client too): CORS for the origins of the client the request
 * names, and for no other. A page of client A's origin calling with client B's id gets no CORS
 * header, so the browser hides the answer, and requireAllowedOrigin refuses the call itself.
 */
export function corsForNamedClient(clients: ClientLookup) {
  async function answerFor(origin: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const clientId = namedClientId({ authorization: request.headers.authorization, params: formParams(request) });
    const client = clientId === undefined ? undefined : await clients.find(clientId);
    if (client && clientAllowsOrigin(client, origin)) allowWithCredentials(reply, origin);
  }
  // A callback hook, not an async one: a request without Origin (a server) costs no promise.
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const origin = requestOrigin(request);
    if (origin === undefined) return done();
    answerFor(origin, request, reply).then(() => done(), done);
  };
}

/** /userinfo (a bearer token, no client): CORS for any origin some client accepts calls from. */
export function corsForAnyClient(isRegistered: RegisteredOrigins) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.header('vary', 'Origin');
    if (request.method === 'OPTIONS') return;
    const origin = requestOrigin(request);
    if (origin !== undefined && (await isRegistered(origin))) allowWithCredentials(reply, origin);
  };
}

/**
 * CORS preflights (OPTIONS). A preflight carries no body and no credentials, so it cannot say
 * which client is calling: it is answered for the union of all clients' origins (with Vary:
 * Origin), and only the real request is held to the named client's own (corsForNamedClient).
 * An origin no client has gets no CORS header, and the browser sends nothing further.
 */
export function registerPreflights(app: FastifyInstance, paths: readonly string[], isRegistered: RegisteredOrigins): void {
  for (const path of paths) {
    app.options(path, async (request, reply) => {
      reply.header('vary', 'Origin');
      const origin = requestOrigin(request);
      if (origin !== undefined && (await isRegistered(origin))) {
        allowWithCredentials(reply, origin);
        reply
          .header('access-control-allow-methods', 'GET, POST')
          .header('access-control-allow-headers', 'authorization, content-type, dpop')
          .header('access-control-max-age', '600');
      }
      return reply.code(204).send();
    });
  }
}

/**
 * A browser call must come from one of the client's own origins (clientAllowsOrigin). A client
 * with no browser origin at all is not held to one (a server may send an Origin header); a
 * cookie-mode client is accepted only from a browser on its origins.
 */
export function requireAllowedOrigin(request: FastifyRequest, client: Client): void {
  const origin = request.headers.origin;
  if (origin === undefined) {
    if (client.refreshCookie) throw new OAuthError('invalid_client', 'this client is accepted only from its registered origins', 401);
    return;
  }
  if ((clientHasBrowserOrigins(client) || client.refreshCookie) && !clientAllowsOrigin(client, origin)) {
    throw new OAuthError('invalid_client', 'this origin is not registered for the client', 401);
  }
}
