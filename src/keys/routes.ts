import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config.js';
import { ANY_ORIGIN_READ, crossOriginReadHeaders, setFlatHeaders } from '../http/cross-origin-read.js';
import type { FastAnswer, FastPaths, FlatHeaders } from '../http/fast-paths.js';
import { etagMatches, type JwksDocument } from './jwks.js';
import type { KeyRing } from './ring.js';

export const JWKS_PATH = '/.well-known/jwks.json';

/** What is built once per key-set document: the headers after the CORS ones, and the two answers a request without Origin gets. */
interface PreparedAnswers {
  document: JwksDocument;
  okHeaders: FlatHeaders;
  notModifiedHeaders: FlatHeaders;
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
    const notModifiedHeaders = ['cache-control', cacheControl, 'etag', document.etag];
    const okHeaders = [...notModifiedHeaders, 'content-type', 'application/json; charset=utf-8'];
    return {
      document,
      okHeaders,
      notModifiedHeaders,
      ok: { status: 200, headers: [...ANY_ORIGIN_READ, ...okHeaders], body: document.body },
      notModified: { status: 304, headers: [...ANY_ORIGIN_READ, ...notModifiedHeaders] },
    };
  };
  return (headers) => {
    const document = ring.jwks();
    if (prepared?.document !== document) prepared = prepare(document);
    const notModified = etagMatches(headers['if-none-match'], document.etag);
    const cors = crossOriginReadHeaders(headers.origin);
    if (cors === ANY_ORIGIN_READ) return notModified ? prepared.notModified : prepared.ok;
    if (notModified) return { status: 304, headers: [...cors, ...prepared.notModifiedHeaders] };
    return { status: 200, headers: [...cors, ...prepared.okHeaders], body: document.body };
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
