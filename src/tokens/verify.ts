import type { JWTPayload } from 'jose';
import type { TokenContext } from './context.js';
import { decodeJsonObject, decodeSegment, splitCompactJws } from './compact-jws.js';
import { InvalidTokenError } from './invalid-token.js';
import { checkClaims } from './jwt-claims.js';

export { InvalidTokenError, type InvalidTokenReason } from './invalid-token.js';

export interface VerifyOptions {
  /** The token type expected in the header: 'at+jwt' for access tokens, 'JWT' for ID tokens. */
  typ: string;
  audience: string | readonly string[];
  requiredClaims?: readonly string[];
}

export interface VerifiedToken {
  payload: JWTPayload;
  kid: string;
}

/** Algorithms that never sign a Latchkey token, whatever the ring holds. */
function isForbiddenAlg(alg: string): boolean {
  return alg.toLowerCase() === 'none' || /^HS/i.test(alg);
}

/**
 * Verifies a token Latchkey issued. The key comes from the ring by kid, and the only algorithm
 * accepted is that key's own: never one chosen by the token header. Checks signature, typ, iss,
 * aud, exp, nbf and iat (not in the future, not older than the longest token lifetime), all with
 * the clock tolerance. Throws InvalidTokenError.
 *
 * Only the parsing and the claim checks are ours: the signature is node:crypto's, with a key
 * object made once per kid (JwsVerifier). The checks and their failure reasons are those
 * jose.jwtVerify made here before; the tests compare both on valid and hostile tokens.
 */
export async function verifyToken(context: TokenContext, token: string, options: VerifyOptions): Promise<VerifiedToken> {
  const jws = splitCompactJws(token);
  const { header } = jws;
  if (typeof header.alg !== 'string' || isForbiddenAlg(header.alg)) throw new InvalidTokenError('alg_not_allowed');
  if (typeof header.kid !== 'string') throw new InvalidTokenError('unknown_kid');
  const key = context.ring.publishedKey(header.kid);
  if (!key) throw new InvalidTokenError('unknown_kid');
  if (header.alg !== key.alg) throw new InvalidTokenError('alg_mismatch');
  // RFC 7515 4.1.11: we understand no extension, so a token naming one is refused; b64 (RFC 7797)
  // would change what the signature covers and a JWT never uses it (RFC 7797 7).
  if (Object.hasOwn(header, 'crit') || Object.hasOwn(header, 'b64')) throw new InvalidTokenError('malformed');
  // On libuv's pool while it has room (no password being hashed: TokenContext.poolHasRoom).
  const signature = decodeSegment(jws.signature);
  const valid = context.poolHasRoom?.() ? await key.verifier.verifyOffLoop(jws.signingInput, signature) : key.verifier.verify(jws.signingInput, signature);
  if (!valid) throw new InvalidTokenError('bad_signature');

  const payload = decodeJsonObject(jws.payload);
  checkClaims(header, payload, {
    typ: options.typ,
    issuer: context.issuer,
    audience: options.audience,
    requiredClaims: options.requiredClaims ?? [],
    now: Math.floor(context.clock.now() / 1000),
    toleranceSeconds: context.clockToleranceSeconds,
    maxAgeSeconds: Math.max(context.accessTokenTtlSeconds, context.idTokenTtlSeconds),
  });
  return { payload: payload as JWTPayload, kid: key.kid };
}
