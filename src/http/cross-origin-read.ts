import type { FastifyReply, FastifyRequest } from 'fastify';

/** What a request without a usable Origin gets, flat (name, value, …) as Node's writeHead takes it. */
export const ANY_ORIGIN_READ: readonly string[] = Object.freeze(['vary', 'Origin', 'cross-origin-resource-policy', 'cross-origin', 'access-control-allow-origin', '*']);

/**
 * Public documents every relying party may fetch, browser-based ones on other origins included
 * (discovery, JWKS). A browser refuses `*` for a request made with credentials (oidc-client-ts
 * and others fetch with `credentials: 'include'`), so a request that names its Origin gets that
 * origin back with Access-Control-Allow-Credentials. That is safe here because these documents
 * are the same for everyone and read no cookie. Vary: Origin keeps shared caches from handing
 * one origin's answer to another; a request without Origin (servers) gets `*`.
 */
export function crossOriginReadHeaders(origin: string | string[] | undefined): readonly string[] {
  if (typeof origin === 'string' && origin.length <= 300 && origin !== 'null') {
    return ['vary', 'Origin', 'cross-origin-resource-policy', 'cross-origin', 'access-control-allow-origin', origin, 'access-control-allow-credentials', 'true'];
  }
  return ANY_ORIGIN_READ;
}

/** Sets flat headers (name, value, …) on a Fastify reply. */
export function setFlatHeaders(reply: FastifyReply, headers: readonly string[]): FastifyReply {
  for (let i = 0; i < headers.length; i += 2) reply.header(headers[i]!, headers[i + 1]);
  return reply;
}

/** crossOriginReadHeaders on a Fastify reply. */
export function allowCrossOriginRead(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return setFlatHeaders(reply, crossOriginReadHeaders(request.headers.origin));
}
