import { InvalidTokenError } from './invalid-token.js';

/** RFC 9068 2.2 and OIDC Core 2: every token Latchkey signs has these. */
const ALWAYS_REQUIRED = ['iss', 'sub', 'aud', 'exp', 'iat'];

export interface ClaimRules {
  /** The expected header typ, compared as jose does (case-insensitive, "application/" optional). */
  typ: string;
  issuer: string;
  /** Accepted audiences: the token's aud (a string, or an array) must name one of them. */
  audience: string | readonly string[];
  /** Claims that must be present besides ALWAYS_REQUIRED. */
  requiredClaims: readonly string[];
  /** NumericDate (seconds, whole) of now. */
  now: number;
  toleranceSeconds: number;
  /** An iat older than this (plus the tolerance) is expired: no token lives longer. */
  maxAgeSeconds: number;
}

/**
 * The JWT checks jose.jwtVerify made for verifyToken (RFC 7519 4.1, RFC 9068 2.1), in jose's
 * order so a token failing several reports the same claim. Stricter in one place: iat, nbf and
 * exp must be finite numbers (jose lets exp be 1e999, which JSON reads as Infinity).
 * Throws InvalidTokenError ('claim_invalid' or 'expired', with the claim).
 */
export function checkClaims(header: Record<string, unknown>, claims: Record<string, unknown>, rules: ClaimRules): void {
  if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== normalizeTyp(rules.typ)) throw new InvalidTokenError('claim_invalid', 'typ');
  for (const claim of presenceOrder(rules.requiredClaims)) {
    if (!Object.hasOwn(claims, claim)) throw new InvalidTokenError('claim_invalid', claim);
  }
  if (claims.iss !== rules.issuer) throw new InvalidTokenError('claim_invalid', 'iss');
  if (!audienceMatches(claims.aud, rules.audience)) throw new InvalidTokenError('claim_invalid', 'aud');

  const { now, toleranceSeconds: tolerance } = rules;
  const iat = numericDate(claims, 'iat');
  const nbf = Object.hasOwn(claims, 'nbf') ? numericDate(claims, 'nbf') : undefined;
  if (nbf !== undefined && nbf > now + tolerance) throw new InvalidTokenError('claim_invalid', 'nbf');
  const exp = numericDate(claims, 'exp');
  if (exp <= now - tolerance) throw new InvalidTokenError('expired', 'exp');
  const age = now - iat;
  if (age - tolerance > rules.maxAgeSeconds) throw new InvalidTokenError('expired', 'iat');
  if (age < -tolerance) throw new InvalidTokenError('claim_invalid', 'iat');
}

/** RFC 7515 4.1.9 media types: "at+jwt" is "application/at+jwt", compared case-insensitively. */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return typ.includes('/') ? lower : `application/${lower}`;
}

/** The order jose checks presence in (its required claims, then those its options imply, reversed). */
function presenceOrder(extra: readonly string[]): Set<string> {
  return new Set([...ALWAYS_REQUIRED, ...extra, 'iat', 'aud', 'iss'].reverse());
}

/** RFC 7519 4.1.3: aud is one string or an array; one of the accepted audiences must be in it. */
function audienceMatches(aud: unknown, accepted: string | readonly string[]): boolean {
  const audiences = typeof accepted === 'string' ? [accepted] : accepted;
  if (typeof aud === 'string') return audiences.includes(aud);
  if (Array.isArray(aud)) return audiences.some((audience) => aud.includes(audience));
  return false;
}

function numericDate(claims: Record<string, unknown>, claim: 'iat' | 'nbf' | 'exp'): number {
  const value = claims[claim];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidTokenError('claim_invalid', claim);
  return value;
}
