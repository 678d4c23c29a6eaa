import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Client } from '../clients/store.js';
import type { Database } from '../db/types.js';
import { OAuthError } from '../http/oauth-error.js';

/** Endpoints browsers call directly (SPAs). Others never answer cross-origin requests. */
const CORS_PATHS = new Set(['/token', '/revoke', '/userinfo']);
const CACHE_MS = 5_000;

/**
 * Answers CORS for origins some client registered, with credentials (the refresh cookie), and
 * sends nothing at all to any other origin. Which client may use which origin is checked per
 * request by requireAllowedOrigin, once the client is known.
 */
export function registerCors(app: FastifyInstance, db: Kysely<Database>): void {
  const known = new Map<string, { allowed: boolean; until: number }>();
  const isRegistered = async (origin: string): Promise<boolean> => {
    const cached = known.get(origin);
    // eslint-disable-next-line no-restricted-syntax -- TODO(issue 11): clock
    if (cached && cached.until > Date.now()) return cached.allowed;
    const row = await db
      .selectFrom('clients')
      .select('id')
      .where(sql<boolean>`allowed_origins @> ${JSON.stringify([origin])}::jsonb`)
      .limit(1)
      .executeTakeFirst();
    if (known.size > 10_000) known.clear();
    // eslint-disable-next-line no-restricted-syntax -- TODO(issue 11): clock
    known.set(origin, { allowed: Boolean(row), until: Date.now() + CACHE_MS });
    return Boolean(row);
  };

  const corsHeaders = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const origin = request.headers.origin;
    reply.header('vary', 'Origin');
    if (typeof origin !== 'string' || origin.length > 300 || !(await isRegistered(origin))) return false;
    reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
    return true;
  };

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!CORS_PATHS.has(path) || request.method === 'OPTIONS') return;
    await corsHeaders(request, reply);
  });

  for (const path of CORS_PATHS) {
    app.options(path, async (request, reply) => {
      if (await corsHeaders(request, reply)) {
        reply
          .header('access-control-allow-methods', 'GET, POST')
          .header('access-control-allow-headers', 'authorization, content-type')
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
