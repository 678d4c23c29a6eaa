import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { TokenContext } from './context.js';

export type InvalidTokenReason =
  | 'malformed'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'alg_mismatch'
  | 'bad_signature'
  | 'expired'
  | 'claim_invalid';

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  constructor(
    readonly reason: InvalidTokenReason,
    /** The claim (or typ) that failed, for claim_invalid and expired. */
    readonly claim?: string,
  ) {
    super(claim ? `${reason}: ${claim}` : reason);
  }
}

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

const ALWAYS_REQUIRED = ['iss', 'sub', 'aud', 'exp', 'iat'];

/** Algorithms that never sign a Latchkey token, whatever the ring holds. */
function isForbiddenAlg(alg: string): boolean {
  return alg.toLowerCase() === 'none' || /^HS/i.test(alg);
}

function reasonFrom(error: unknown): InvalidTokenError {
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('expired', error.claim);
  if (error instanceof errors.JWTClaimValidationFailed) return new InvalidTokenError('claim_invalid', error.claim);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('bad_signature');
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('alg_not_allowed');
  return new InvalidTokenError('malformed');
}

/**
 * Verifies a token Latchkey issued. The key comes from the ring by kid, and the only algorithm
 * accepted is that key's own: never one chosen by the token header. Checks signature, typ, iss,
 * aud, exp, nbf and iat (not in the future, not older than the longest token lifetime), all with
 * the clock tolerance. Throws InvalidTokenError.
 */
export async function verifyToken(context: TokenContext, token: string, options: VerifyOptions): Promise<VerifiedToken> {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new InvalidTokenError('malformed');
  }
  if (typeof header.alg !== 'string' || isForbiddenAlg(header.alg)) throw new InvalidTokenError('alg_not_allowed');
  if (typeof header.kid !== 'string') throw new InvalidTokenError('unknown_kid');
  const key = context.ring.publishedKey(header.kid);
  if (!key) throw new InvalidTokenError('unknown_kid');
  if (header.alg !== key.alg) throw new InvalidTokenError('alg_mismatch');
  try {
    const { payload } = await jwtVerify(token, key.verificationKey, {
      algorithms: [key.alg],
      typ: options.typ,
      issuer: context.issuer,
      audience: options.audience as string | string[],
      clockTolerance: context.clockToleranceSeconds,
      currentDate: new Date(context.clock.now()),
      maxTokenAge: Math.max(context.accessTokenTtlSeconds, context.idTokenTtlSeconds),
      requiredClaims: [...ALWAYS_REQUIRED, ...(options.requiredClaims ?? [])],
    });
    return { payload, kid: key.kid };
  } catch (error) {
    throw reasonFrom(error);
  }
}
