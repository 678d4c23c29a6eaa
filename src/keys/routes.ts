import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config.js';
import { ANY_ORIGIN_READ, crossOriginReadHeaders, setFlatHeaders } from '../http/cross-origin-read.js';
import type { FastAnswer, FlatHeaders } from '../http/fast-paths.js';
import type { FastPaths } from '../http/fast-paths.js';
import { etagMatches, type JwksDocument } from './jwks.js';
import type { KeyRing } from './ring.js';

export const JWKS_PATH = '/.well-known/jwks.json';

/** The two answers a request without Origin gets, built once per key-set document. */
interface PreparedAnswers {
  document: JwksDocument;
  ok: FastAnswer;
  notModified: FastAnswer;
}

/**
 * The JWKS answer, from the ring in memory: never touches the database. The body and its ETag are
 * serialised once per ring change (KeyRing.jwks), and so are the answers for a request without
 * Origin (servers: nearly every request); a request only compares If-None-Match.
 */
export function jwksAnswers(ring: KeyRing, cacheControl: string): (headers: IncomingHttpHeaders) => FastAnswer {
  let prepared: PreparedAnswers | undefined;
  const prepare = (document: JwksDocument): PreparedAnswers => {
    const cacheHeaders = ['cache-control', cacheControl, 'etag', document.etag];
    const ok: FlatHeaders = [...ANY_ORIGIN_READ, ...cacheHeaders, 'content-type', 'application/json; charset=utf-8'];
    return { document, ok: { status: 200, headers: ok, body: document.body }, notModified: { status: 304, headers: [...ANY_ORIGIN_READ, ...cacheHeaders] } };
  };
  return (headers) => {
    const document = ring.jwks();
    if (prepared?.document !== document) prepared = prepare(document);
    const notModified = etagMatches(headers['if-none-match'], document.etag);
    const cors = crossOriginReadHeaders(headers.origin);
    if (cors === ANY_ORIGIN_READ) return notModified ? prepared.notModified : prepared.ok;
    const answer = notModified ? prepared.notModified : prepared.ok;
    return { ...answer, headers: [...cors, ...answer.headers.slice(ANY_ORIGIN_READ.length)] };
  };
}

/**
 * GET /.well-known/jwks.json: answered before the router (FastPaths) when it can be, and by this
 * route otherwise (HEAD, a query string, draining, per-request logging), with the same headers.
 */
export function registerJwksRoute(app: FastifyInstance, ring: KeyRing, config: Pick<Config, 'JWKS_CACHE_TTL'>, fastPaths?: FastPaths): void {
  const answer = jwksAnswers(ring, `public, max-age=${config.JWKS_CACHE_TTL}`);
  fastPaths?.get(JWKS_PATH, (request) => answer(request.headers));
  app.get(JWKS_PATH, (request, reply) => {
    const { status, headers, body } = answer(request.headers);
    setFlatHeaders(reply.code(status), headers).send(body);
  });
}
