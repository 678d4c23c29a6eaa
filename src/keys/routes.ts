import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { allowCrossOriginRead } from '../http/cross-origin-read.js';
import { etagMatches } from './jwks.js';
import type { KeyRing } from './ring.js';

/**
 * GET /.well-known/jwks.json, served from the ring in memory: never touches the database. The
 * body and its ETag are serialised once per ring change (KeyRing.jwks); the hot path only sets
 * headers and compares If-None-Match. Synchronous: no promise per request.
 */
export function registerJwksRoute(app: FastifyInstance, ring: KeyRing, config: Pick<Config, 'JWKS_CACHE_TTL'>): void {
  const cacheControl = `public, max-age=${config.JWKS_CACHE_TTL}`;
  app.get('/.well-known/jwks.json', (request, reply) => {
    const { body, etag } = ring.jwks();
    allowCrossOriginRead(request, reply).header('cache-control', cacheControl).header('etag', etag);
    if (etagMatches(request.headers['if-none-match'], etag)) reply.code(304).send();
    else reply.type('application/json').send(body);
  });
}
