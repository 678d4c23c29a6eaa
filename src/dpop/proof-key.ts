import { constants, createHash, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';

/**
 * The public key in a DPoP proof's `jwk` header, checked against the proof's `alg`, and the
 * signature check with node:crypto. A client signs every proof with the same key, so the imported
 * KeyObject is kept per RFC 7638 thumbprint: the thumbprint covers exactly the members the key is
 * imported from, so one thumbprint is one key (WebCrypto's import was a tenth of a DPoP request).
 */

/** Asymmetric algorithms a proof may use (never none, never an HMAC: the key is in the header). */
export const DPOP_SIGNING_ALGS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;
type ProofAlg = (typeof DPOP_SIGNING_ALGS)[number];

/** RFC 7638 3.2: the required members of each key type, in lexicographic order. */
const REQUIRED_MEMBERS = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'] } as const;

/** Which key an algorithm takes (RFC 7518 3.4, 3.3, 3.5; RFC 8037 3.1). */
const KEY_FOR_ALG: Record<ProofAlg, { kty: keyof typeof REQUIRED_MEMBERS; crv?: readonly string[] }> = {
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'] },
  Ed25519: { kty: 'OKP', crv: ['Ed25519'] },
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
};

/** RFC 7518 3.3 and 3.5: a key of 2048 bits or larger MUST be used. */
const MIN_RSA_BITS = 2048;
const CACHED_KEYS = 1000;

export interface ProofPublicKey {
  /** RFC 7638 SHA-256 thumbprint: what cnf.jkt binds. */
  jkt: string;
  key: KeyObject;
}

const cache = new Map<string, KeyObject>();

function isProofAlg(alg: string): alg is ProofAlg {
  return Object.hasOwn(KEY_FOR_ALG, alg);
}

/** The key of a proof's jwk header for `alg`, or why it cannot be one. */
export function proofPublicKey(alg: string, jwk: Record<string, unknown>): ProofPublicKey | { problem: string } {
  if (!isProofAlg(alg)) return { problem: 'alg is not an allowed asymmetric algorithm' };
  const wanted = KEY_FOR_ALG[alg];
  if (jwk.kty !== wanted.kty) return { problem: `jwk must be an ${wanted.kty} key for ${alg}` };
  if (wanted.crv && !wanted.crv.includes(jwk.crv as string)) return { problem: `jwk curve does not match ${alg}` };
  const members: Record<string, string> = {};
  for (const name of REQUIRED_MEMBERS[wanted.kty]) {
    const value = jwk[name];
    if (typeof value !== 'string' || value.length === 0) return { problem: `jwk member ${name} must be a string` };
    members[name] = value;
  }
  // Members in lexicographic order, no whitespace (RFC 7638 3.3); JSON.stringify keeps insertion order.
  const jkt = createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  const known = cache.get(jkt);
  if (known) return { jkt, key: known };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: members, format: 'jwk' });
  } catch {
    return { problem: 'jwk is not a valid public key' };
  }
  if (wanted.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return { problem: `an RSA jwk must have at least ${MIN_RSA_BITS} bits` };
  if (cache.size >= CACHED_KEYS) cache.delete(cache.keys().next().value!);
  cache.set(jkt, key);
  return { jkt, key };
}

function verifyArgs(alg: ProofAlg, key: KeyObject): [string | null, KeyObject | VerifyKeyObjectInput] {
  switch (alg) {
    case 'ES256':
      return ['sha256', { key, dsaEncoding: 'ieee-p1363' }];
    case 'ES384':
      return ['sha384', { key, dsaEncoding: 'ieee-p1363' }];
    case 'EdDSA':
    case 'Ed25519':
      return [null, key];
    case 'RS256':
      return ['sha256', key];
    case 'PS256':
      return ['sha256', { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }];
  }
}

/** Whether `signature` is `alg`'s signature of `signingInput` (the JWS's first two parts) by `key`. */
export function proofSignatureValid(alg: string, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  if (!isProofAlg(alg)) return false;
  const [digest, options] = verifyArgs(alg, key);
  try {
    return verify(digest, Buffer.from(signingInput, 'ascii'), options, signature);
  } catch {
    // A signature of the wrong length for the curve, for example.
    return false;
  }
}
