import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { anyClientAllowsOrigin, type Client } from '../clients/store.js';
import type { Database } from '../db/types.js';
import { OAuthError } from '../http/oauth-error.js';

const CACHE_MS = 5_000;
const MAX_ORIGIN_LENGTH = 300;

/** Whether some client registered a browser origin. */
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

/**
 * Answers CORS for origins some client registered, with credentials (the refresh cookie), and
 * sends nothing at all to any other origin. Which client may use which origin is checked per
 * request by requireAllowedOrigin, once the client is known.
 */
async function allowRegisteredOrigin(isRegistered: RegisteredOrigins, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const origin = request.headers.origin;
  reply.header('vary', 'Origin');
  if (typeof origin !== 'string' || origin.length > MAX_ORIGIN_LENGTH || !(await isRegistered(origin))) return false;
  reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
  // A DPoP client in a browser must read the nonce and the challenge (RFC 9449 8, 7.1).
  if (request.method !== 'OPTIONS') reply.header('access-control-expose-headers', 'DPoP-Nonce, WWW-Authenticate');
  return true;
}

/** An onRequest hook giving a browser endpoint's responses their CORS headers (preflights answer themselves). */
export function corsHeaders(isRegistered: RegisteredOrigins) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method === 'OPTIONS') return;
    await allowRegisteredOrigin(isRegistered, request, reply);
  };
}

/** CORS preflights (OPTIONS) for endpoints that browsers on registered origins call. */
export function registerPreflights(app: FastifyInstance, paths: readonly string[], isRegistered: RegisteredOrigins): void {
  for (const path of paths) {
    app.options(path, async (request, reply) => {
      if (await allowRegisteredOrigin(isRegistered, request, reply)) {
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
 * A browser call must come from one of the client's own origins. Cookie-mode clients are
 * accepted only from a browser on such an origin.
 */
export function requireAllowedOrigin(request: FastifyRequest, client: Client): void {
  const origin = request.headers.origin;
  if (origin === undefined) {
    if (client.refreshCookie) throw new OAuthError('invalid_client', 'this client is accepted only from its registered origins', 401);
    return;
  }
  if ((client.origins.length > 0 || client.refreshCookie) && !client.origins.includes(origin)) {
    throw new OAuthError('invalid_client', 'this origin is not registered for the client', 401);
  }
}
