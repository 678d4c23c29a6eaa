import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlg } from './lifecycle.js';
import { signatureArgs } from './signature-args.js';
import { inPoolBurst } from './pool-dispatch.js';

/**
 * Checks compact-JWS signatures of one published key with node:crypto (several times faster than
 * WebCrypto for ES256; introspection and bearer checks verify on every request). The public
 * KeyObject is made once, when the ring opens the key. Every format detail mirrors JwsSigner
 * (P-1363 ECDSA signatures, PSS salt length 32) and what jose.jwtVerify accepts; the tests check
 * both verifiers agree.
 */
export class JwsVerifier {
  private readonly key: KeyObject;
  /** jose refuses a key of the wrong type or curve for the algorithm, and RSA keys under 2048 bits. */
  private readonly fitsAlg: boolean;

  constructor(
    readonly alg: SigningAlg,
    publicJwk: JWK,
  ) {
    this.key = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' });
    this.fitsAlg = fits(this.key, alg);
  }

  /** True when `signature` is a valid signature of `input` by this key under its algorithm. */
  verify(input: Buffer, signature: Buffer): boolean {
    if (!this.fitsAlg) return false;
    const [algorithm, key] = signatureArgs(this.alg, this.key);
    try {
      return verify(algorithm, input, key, signature);
    } catch {
      // OpenSSL refuses some malformed signatures by throwing rather than answering false.
      return false;
    }
  }

  /** The same answer, computed on one of libuv's pool threads instead of the event loop (started in the turn's burst: inPoolBurst). */
  verifyOffLoop(input: Buffer, signature: Buffer): Promise<boolean> {
    if (!this.fitsAlg) return Promise.resolve(false);
    const [algorithm, key] = signatureArgs(this.alg, this.key);
    // An error, thrown or called back (a malformed signature OpenSSL refuses), is a signature that does not verify.
    return inPoolBurst<boolean>((resolve) => verify(algorithm, input, key, signature, (error, valid) => resolve(!error && valid))).catch(() => false);
  }
}

function fits(key: KeyObject, alg: SigningAlg): boolean {
  const details = key.asymmetricKeyDetails;
  switch (alg) {
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1';
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519';
    case 'RS256':
    case 'PS256':
      return key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048;
  }
}
