import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Public documents every relying party may fetch, browser-based ones on other origins included
 * (discovery, JWKS). A browser refuses `*` for a request made with credentials (oidc-client-ts
 * and others fetch with `credentials: 'include'`), so a request that names its Origin gets that
 * origin back with Access-Control-Allow-Credentials. That is safe here because these documents
 * are the same for everyone and read no cookie. Vary: Origin keeps shared caches from handing
 * one origin's answer to another; a request without Origin (servers) gets `*`.
 */
export function allowCrossOriginRead(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const origin = request.headers.origin;
  reply.header('vary', 'Origin').header('cross-origin-resource-policy', 'cross-origin');
  if (typeof origin === 'string' && origin.length <= 300 && origin !== 'null') {
    return reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
  }
  return reply.header('access-control-allow-origin', '*');
}
