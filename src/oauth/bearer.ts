import type { FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import { DPOP_SIGNING_ALGS } from '../dpop/proof.js';
import { OAuthError } from '../http/oauth-error.js';
import { verifyToken, InvalidTokenError } from '../tokens/verify.js';
import { ACCESS_TOKEN_TYP } from '../tokens/access-token.js';
import type { OAuthDeps } from './deps.js';
import { dpopProofRequest } from './dpop-request.js';

/** How the access token was presented: RFC 6750 Bearer, or RFC 9449 7.1 DPoP with a proof. */
export type TokenScheme = 'Bearer' | 'DPoP';

type ChallengeCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce';

const DPOP_ALGS = `algs="${DPOP_SIGNING_ALGS.join(' ')}"`;

/** RFC 6750 3 / RFC 9449 7.1: errors on protected resources carry a challenge of the scheme used. */
export function challengeError(scheme: TokenScheme, code: ChallengeCode, description: string, status: number, headers: Record<string, string> = {}): OAuthError {
  const params = scheme === 'DPoP' ? `${DPOP_ALGS}, error="${code}"` : `realm="latchkey", error="${code}"`;
  return new OAuthError(code, description, status, { 'www-authenticate': `${scheme} ${params}, error_description="${description}"`, ...headers });
}

/** RFC 6750 3: errors on protected resources carry a Bearer challenge. */
export function bearerError(code: 'invalid_request' | 'invalid_token' | 'insufficient_scope', description: string, status: number): OAuthError {
  return challengeError('Bearer', code, description, status);
}

/** The access token from the Authorization header (Bearer or DPoP) or, failing that, a form field (RFC 6750 2.2, Bearer only). */
export function readAccessToken(request: FastifyRequest, formToken: string | undefined): { scheme: TokenScheme; token: string } {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
    if (!match?.[1] || !match[2] || formToken !== undefined) throw bearerError('invalid_request', 'malformed or duplicated access token', 400);
    return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
  }
  if (formToken !== undefined) return { scheme: 'Bearer', token: formToken };
  throw new OAuthError('invalid_request', 'an access token is required', 401, { 'www-authenticate': `Bearer realm="latchkey", DPoP ${DPOP_ALGS}` });
}

/** Verifies a Latchkey access token for one of our own endpoints (audience: the issuer) and checks revocation. */
export async function verifyBearer(deps: OAuthDeps, token: string, scheme: TokenScheme = 'Bearer'): Promise<JWTPayload> {
  try {
    const { payload } = await verifyToken(deps.tokens, token, { typ: ACCESS_TOKEN_TYP, audience: deps.config.ISSUER, requiredClaims: ['jti'] });
    if (await deps.revokedJtis.isRevoked(String(payload.jti))) throw new InvalidTokenError('claim_invalid', 'jti');
    return payload;
  } catch (error) {
    if (error instanceof InvalidTokenError) throw challengeError(scheme, 'invalid_token', 'the access token is invalid, expired or revoked', 401);
    throw error;
  }
}

/** RFC 9449 6.1: the thumbprint a DPoP-bound token names in cnf.jkt (undefined: not bound). */
export function boundKey(payload: JWTPayload): string | undefined {
  const cnf = payload.cnf as { jkt?: unknown } | undefined;
  return typeof cnf === 'object' && cnf !== null && typeof cnf.jkt === 'string' ? cnf.jkt : undefined;
}

/**
 * An access token presented to one of our resources (/userinfo, the admin API), verified, with
 * its sender constraint (RFC 9449 7): a DPoP-bound token only with the DPoP scheme and a valid,
 * unused proof for this request, carrying `ath`, signed by the key the token names; an unbound
 * token only as Bearer. Refusals are 401 with a challenge of the scheme that was used.
 */
export async function authenticateAccessToken(deps: OAuthDeps, request: FastifyRequest, formToken?: string): Promise<{ payload: JWTPayload; scheme: TokenScheme }> {
  const { scheme, token } = readAccessToken(request, formToken);
  const payload = await verifyBearer(deps, token, scheme);
  const jkt = boundKey(payload);
  if (scheme === 'Bearer') {
    if (jkt !== undefined) throw challengeError('DPoP', 'invalid_token', 'the access token is DPoP-bound: present it with the DPoP scheme and a proof', 401);
    return { payload, scheme };
  }
  if (jkt === undefined) throw challengeError('DPoP', 'invalid_token', 'the access token is not DPoP-bound: present it as a Bearer token', 401);
  const verified = await deps.dpop.verify(dpopProofRequest(request, deps.config.ISSUER, token));
  if (!verified.ok) {
    request.log.info({ dpop: verified.reason, detail: verified.detail }, 'DPoP proof refused');
    if (verified.reason === 'nonce') throw challengeError('DPoP', 'use_dpop_nonce', 'use the server-provided DPoP nonce', 401, { 'dpop-nonce': deps.dpop.currentNonce() });
    throw challengeError('DPoP', 'invalid_dpop_proof', 'the DPoP proof is invalid', 401);
  }
  if (verified.proof.jkt !== jkt) throw challengeError('DPoP', 'invalid_dpop_proof', 'the DPoP proof is not signed by the key the token is bound to', 401);
  return { payload, scheme };
}
