import { createHash } from 'node:crypto';
import { epochSeconds } from '../clock.js';
import { acrFor } from '../users/assurance.js';
import type { SigningAlg } from '../keys/lifecycle.js';
import type { JwsSigner } from '../keys/jws-signer.js';
import { newJti, signOffLoopIfIdle } from './access-token.js';
import type { MintedToken, TokenContext } from './context.js';

export const ID_TOKEN_TYP = 'JWT';

export interface IdTokenRequest {
  subject: string;
  clientId: string;
  /** When the user authenticated (seconds). */
  authTime: number;
  /** How (RFC 8176); the acr claim is derived from it (users/assurance.ts). */
  amr: string[];
  nonce?: string;
  /** The access token issued alongside, for at_hash. */
  accessToken?: string;
  sid?: string;
  /** User claims released by the granted scopes (name, email, ...); never override the ones above. */
  userClaims?: Record<string, unknown>;
}

/**
 * OIDC Core 3.1.3.6: the left half of the hash of the access token, with the hash of the ID
 * token's alg: SHA-256 for ES256/RS256/PS256, SHA-512 for EdDSA over Ed25519.
 */
export function accessTokenHash(accessToken: string, alg: SigningAlg): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** An OpenID Connect ID token signed with the active key. */
export function mintIdToken(context: TokenContext, request: IdTokenRequest): MintedToken {
  const signer = context.ring.signer();
  const { claims, minted } = idTokenClaims(context, request, signer);
  return { ...minted, token: signer.sign(claims, ID_TOKEN_TYP) };
}

/** The same token, signed off the event loop while libuv's pool has room (signOffLoopIfIdle). */
export async function mintIdTokenOffLoop(context: TokenContext, request: IdTokenRequest): Promise<MintedToken> {
  const signer = context.ring.signer();
  const { claims, minted } = idTokenClaims(context, request, signer);
  return { ...minted, token: await signOffLoopIfIdle(context, signer, claims, ID_TOKEN_TYP) };
}

function idTokenClaims(context: TokenContext, request: IdTokenRequest, signer: JwsSigner): { claims: object; minted: Omit<MintedToken, 'token'> } {
  const issuedAt = epochSeconds(context.clock);
  const expiresAt = issuedAt + context.idTokenTtlSeconds;
  const jti = newJti();
  const claims = {
    ...request.userClaims,
    iss: context.issuer,
    sub: request.subject,
    aud: request.clientId,
    exp: expiresAt,
    iat: issuedAt,
    auth_time: request.authTime,
    amr: request.amr,
    acr: acrFor(request.amr),
    jti,
    ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
    ...(request.accessToken !== undefined ? { at_hash: accessTokenHash(request.accessToken, signer.alg) } : {}),
    ...(request.sid !== undefined ? { sid: request.sid } : {}),
  };
  return { claims, minted: { jti, kid: signer.kid, issuedAt, expiresAt } };
}
