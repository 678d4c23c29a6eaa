import { randomUUID } from 'node:crypto';
import { epochSeconds } from '../clock.js';
import type { JwsSigner } from '../keys/jws-signer.js';
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

/**
 * A token's unique id: a random UUID (122 random bits). node:crypto draws UUIDs from a cached
 * block of CSPRNG output, where randomBytes(16) made a getrandom call per token (~10 µs here,
 * 6 % of a client_credentials request in the profile).
 */
export function newJti(): string {
  return randomUUID();
}

/** An RFC 9068 JWT access token signed with the active key. */
export function mintAccessToken(context: TokenContext, request: AccessTokenRequest): MintedToken {
  const signer = context.ring.signer();
  const { claims, minted } = accessTokenClaims(context, request, signer.kid);
  return { ...minted, token: signer.sign(claims, ACCESS_TOKEN_TYP) };
}

/**
 * The same token, signed off the event loop while libuv's pool has room for it (signOffLoopIfIdle):
 * the signature is the largest single cost of a client_credentials request.
 */
export async function mintAccessTokenOffLoop(context: TokenContext, request: AccessTokenRequest): Promise<MintedToken> {
  const signer = context.ring.signer();
  const { claims, minted } = accessTokenClaims(context, request, signer.kid);
  return { ...minted, token: await signOffLoopIfIdle(context, signer, claims, ACCESS_TOKEN_TYP) };
}

/**
 * Signs on one of libuv's pool threads while the pool has room (TokenContext.poolHasRoom), else on
 * the event loop at once: the pool's threads sit idle unless passwords are being hashed, and while
 * they hash a signature would wait behind argon2 (tens of ms) at argon2's lowered priority.
 */
export function signOffLoopIfIdle(context: TokenContext, signer: JwsSigner, claims: object, typ: string): Promise<string> {
  return context.poolHasRoom?.() ? signer.signOffLoop(claims, typ) : Promise.resolve(signer.sign(claims, typ));
}

function accessTokenClaims(context: TokenContext, request: AccessTokenRequest, kid: string): { claims: object; minted: Omit<MintedToken, 'token'> } {
  const issuedAt = epochSeconds(context.clock);
  const expiresAt = issuedAt + context.accessTokenTtlSeconds;
  const jti = request.jti ?? newJti();
  const claims = {
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
  };
  return { claims, minted: { jti, kid, issuedAt, expiresAt } };
}
