import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config.js';
import { crossOriginReadHeaders } from '../http/cross-origin-read.js';
import type { FastAnswer, FastPaths } from '../http/fast-paths.js';
import { etagMatches } from './jwks.js';
import type { KeyRing } from './ring.js';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * The JWKS answer, from the ring in memory: never touches the database. The body and its ETag are
 * serialised once per ring change (KeyRing.jwks); a request only picks headers and compares
 * If-None-Match.
 */
export function jwksAnswer(ring: KeyRing, cacheControl: string, headers: IncomingHttpHeaders): FastAnswer {
  const { body, etag } = ring.jwks();
  const cacheHeaders = { ...crossOriginReadHeaders(headers.origin), 'cache-control': cacheControl, etag };
  if (etagMatches(headers['if-none-match'], etag)) return { status: 304, headers: cacheHeaders };
  return { status: 200, headers: { ...cacheHeaders, 'content-type': 'application/json; charset=utf-8' }, body };
}

/**
 * GET /.well-known/jwks.json: answered before the router (FastPaths) when it can be, and by this
 * route otherwise (HEAD, a query string, draining, per-request logging), with the same headers.
 */
export function registerJwksRoute(app: FastifyInstance, ring: KeyRing, config: Pick<Config, 'JWKS_CACHE_TTL'>, fastPaths?: FastPaths): void {
  const cacheControl = `public, max-age=${config.JWKS_CACHE_TTL}`;
  fastPaths?.get(JWKS_PATH, (request) => jwksAnswer(ring, cacheControl, request.headers));
  app.get(JWKS_PATH, (request, reply) => {
    const answer = jwksAnswer(ring, cacheControl, request.headers);
    reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
}
