import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../http/oauth-error.js';
import { verifyToken, InvalidTokenError } from '../tokens/verify.js';
import { ACCESS_TOKEN_TYP } from '../tokens/access-token.js';
import type { OAuthDeps } from './deps.js';
import type { JWTPayload } from 'jose';

/** RFC 6750 3: errors on protected resources carry a Bearer challenge. */
export function bearerError(code: 'invalid_request' | 'invalid_token' | 'insufficient_scope', description: string, status: number): OAuthError {
  const challenge = `Bearer realm="latchkey", error="${code}", error_description="${description}"`;
  return new OAuthError(code, description, status, { 'www-authenticate': challenge });
}

/** The bearer token from the Authorization header (RFC 6750 2.1) or, failing that, a form field (2.2). */
export function readBearerToken(request: FastifyRequest, formToken: string | undefined): string {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
    if (!match?.[1] || formToken !== undefined) throw bearerError('invalid_request', 'malformed or duplicated bearer token', 400);
    return match[1];
  }
  if (formToken !== undefined) return formToken;
  throw new OAuthError('invalid_request', 'an access token is required', 401, { 'www-authenticate': 'Bearer realm="latchkey"' });
}

/** Verifies a Latchkey access token for one of our own endpoints (audience: the issuer) and checks revocation. */
export async function verifyBearer(deps: OAuthDeps, token: string): Promise<JWTPayload> {
  try {
    const { payload } = await verifyToken(deps.tokens, token, { typ: ACCESS_TOKEN_TYP, audience: deps.config.ISSUER, requiredClaims: ['jti'] });
    if (await deps.revokedJtis.isRevoked(String(payload.jti))) throw new InvalidTokenError('claim_invalid', 'jti');
    return payload;
  } catch (error) {
    if (error instanceof InvalidTokenError) throw bearerError('invalid_token', 'the access token is invalid, expired or revoked', 401);
    throw error;
  }
}
