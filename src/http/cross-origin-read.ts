import type { FastifyReply, FastifyRequest } from 'fastify';

const ANY_ORIGIN: Readonly<Record<string, string>> = Object.freeze({
  vary: 'Origin',
  'cross-origin-resource-policy': 'cross-origin',
  'access-control-allow-origin': '*',
});

/**
 * Public documents every relying party may fetch, browser-based ones on other origins included
 * (discovery, JWKS). A browser refuses `*` for a request made with credentials (oidc-client-ts
 * and others fetch with `credentials: 'include'`), so a request that names its Origin gets that
 * origin back with Access-Control-Allow-Credentials. That is safe here because these documents
 * are the same for everyone and read no cookie. Vary: Origin keeps shared caches from handing
 * one origin's answer to another; a request without Origin (servers) gets `*`.
 */
export function crossOriginReadHeaders(origin: string | string[] | undefined): Readonly<Record<string, string>> {
  if (typeof origin === 'string' && origin.length <= 300 && origin !== 'null') {
    return { vary: 'Origin', 'cross-origin-resource-policy': 'cross-origin', 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' };
  }
  return ANY_ORIGIN;
}

/** crossOriginReadHeaders on a Fastify reply. */
export function allowCrossOriginRead(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.headers(crossOriginReadHeaders(request.headers.origin));
}
