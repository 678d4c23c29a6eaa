import type { FastifyRequest } from 'fastify';
import type { DpopProofRequest } from '../dpop/verifier.js';

/**
 * What a DPoP proof is checked against, read from a request: every DPoP header it carried, its
 * method, and its URL as the server publishes it: the issuer (which already says how clients
 * reach us, proxies and path prefix included) followed by the path the request was routed by.
 * The Host header is never trusted for this.
 */
export function dpopProofRequest(request: FastifyRequest, issuer: string, accessToken?: string): DpopProofRequest {
  const headers = dpopHeaderValues(request.raw.rawHeaders);
  const path = request.url.split('?')[0] ?? '/';
  return { headers, method: request.method, url: `${issuer}${path}`, ...(accessToken !== undefined ? { accessToken } : {}) };
}

/**
 * Every DPoP header line as sent, from the raw name/value pairs: Node's `headersDistinct` would do
 * on a socket, but a request injected through Fastify's `inject` has no such getter, and a proof
 * there answered 500.
 */
function dpopHeaderValues(rawHeaders: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'dpop') values.push(rawHeaders[i + 1]!);
  }
  return values;
}

/** Whether the request carries a DPoP header at all. */
export function hasDpopHeader(request: FastifyRequest): boolean {
  return request.headers.dpop !== undefined;
}
