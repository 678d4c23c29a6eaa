import type { FastifyRequest } from 'fastify';
import type { DpopProofRequest } from '../dpop/verifier.js';

/**
 * What a DPoP proof is checked against, read from a request: every DPoP header it carried, its
 * method, and its URL as the server publishes it: the issuer (which already says how clients
 * reach us, proxies and path prefix included) followed by the path the request was routed by.
 * The Host header is never trusted for this.
 */
export function dpopProofRequest(request: FastifyRequest, issuer: string, accessToken?: string): DpopProofRequest {
  const headers = request.raw.headersDistinct.dpop ?? [];
  const path = request.url.split('?')[0] ?? '/';
  return { headers, method: request.method, url: `${issuer}${path}`, ...(accessToken !== undefined ? { accessToken } : {}) };
}

/** Whether the request carries a DPoP header at all. */
export function hasDpopHeader(request: FastifyRequest): boolean {
  return request.headers.dpop !== undefined;
}
