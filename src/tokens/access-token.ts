import { randomBytes } from 'node:crypto';
import { epochSeconds } from '../clock.js';
import type { MintedToken, TokenContext } from './context.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenRequest {
  subject: string;
  /** The resource (RFC 8707), the client's default audience, or the issuer. */
  audience: string | string[];
  clientId: string;
  scope: readonly string[];
  /** When a user authenticated (seconds); only when a user is behind the token. */
  authTime?: number;
  sid?: string;
  /** A jti chosen in advance (when it must be stored in the same statement that rotates a token). */
  jti?: string;
  /** RFC 9449 6.1: the thumbprint of the DPoP key the token is bound to (cnf.jkt). */
  jkt?: string;
}

export function newJti(): string {
  return randomBytes(16).toString('base64url');
}

/** An RFC 9068 JWT access token signed with the active key. */
export function mintAccessToken(context: TokenContext, request: AccessTokenRequest): MintedToken {
  const signer = context.ring.signer();
  const issuedAt = epochSeconds(context.clock);
  const expiresAt = issuedAt + context.accessTokenTtlSeconds;
  const jti = request.jti ?? newJti();
  const token = signer.sign(
    {
      iss: context.issuer,
      sub: request.subject,
      aud: request.audience,
      exp: expiresAt,
      iat: issuedAt,
      jti,
      client_id: request.clientId,
      scope: request.scope.join(' '),
      ...(request.authTime !== undefined ? { auth_time: request.authTime } : {}),
      ...(request.sid !== undefined ? { sid: request.sid } : {}),
      ...(request.jkt !== undefined ? { cnf: { jkt: request.jkt } } : {}),
    },
    ACCESS_TOKEN_TYP,
  );
  return { token, jti, kid: signer.kid, issuedAt, expiresAt };
}
