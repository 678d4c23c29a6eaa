import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { OAuthError } from '../../http/oauth-error.js';
import { authenticatedCaller } from '../client-request.js';
import type { OAuthDeps } from '../deps.js';
import { dpopProofRequest, hasDpopHeader } from '../dpop-request.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The thumbprint of the key a valid DPoP proof at /token used (null: no proof). */
    dpopJkt: string | null;
  }
}

/**
 * RFC 9449 5 at /token, once the client has authenticated (an anonymous caller never spends a
 * replay row): a DPoP header must hold one valid, unused proof for POST {issuer}/token, and a
 * client registered with dpop_bound_access_tokens must send one. Refusals are 400
 * invalid_dpop_proof, or use_dpop_nonce with a fresh DPoP-Nonce (RFC 9449 8). Every answer to a
 * request with a proof carries the current nonce, so a client can start using it before the
 * server requires it.
 */
export function requireValidDpopProof(deps: OAuthDeps) {
  async function verifyProof(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const nonce = deps.dpop.currentNonce();
    reply.header('dpop-nonce', nonce);
    const verified = await deps.dpop.verify(dpopProofRequest(request, deps.config.ISSUER));
    if (verified.ok) {
      request.dpopJkt = verified.proof.jkt;
      return;
    }
    request.log.info({ dpop: verified.reason, detail: verified.detail }, 'DPoP proof refused');
    if (verified.reason === 'nonce') throw new OAuthError('use_dpop_nonce', 'use the server-provided DPoP nonce', 400, { 'dpop-nonce': nonce });
    throw new OAuthError('invalid_dpop_proof', `the DPoP proof is invalid: ${verified.detail}`, 400, { 'dpop-nonce': nonce });
  }
  // A callback hook: a request without a proof (most of them) costs no promise.
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    request.dpopJkt = null;
    if (!hasDpopHeader(request)) {
      if (authenticatedCaller(request).client.dpopBoundAccessTokens) throw new OAuthError('invalid_dpop_proof', 'this client must send a DPoP proof');
      return done();
    }
    verifyProof(request, reply).then(() => done(), done);
  };
}
