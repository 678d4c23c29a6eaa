import { constants, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlg } from './lifecycle.js';

/**
 * Compact JWS signing with node:crypto: several times faster than WebCrypto for ES256, and the
 * token hot path signs on every request. Every format detail (P-1363 ECDSA signatures, PSS salt
 * length) matches what jose verifies; the tests check each algorithm against jose.jwtVerify.
 */
export class JwsSigner {
  private readonly key: KeyObject;

  constructor(
    readonly kid: string,
    readonly alg: SigningAlg,
    privateJwk: JWK,
  ) {
    this.key = createPrivateKey({ key: privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  }

  /** Signs `payload` with the header {alg, kid, typ}. */
  sign(payload: object, typ: string): string {
    const header = base64urlJson({ alg: this.alg, kid: this.kid, typ });
    const input = `${header}.${base64urlJson(payload)}`;
    return `${input}.${this.signature(Buffer.from(input, 'ascii')).toString('base64url')}`;
  }

  private signature(input: Buffer): Buffer {
    switch (this.alg) {
      case 'ES256':
        return sign('sha256', input, { key: this.key, dsaEncoding: 'ieee-p1363' });
      case 'EdDSA':
        return sign(null, input, this.key);
      case 'RS256':
        return sign('sha256', input, this.key);
      case 'PS256':
        return sign('sha256', input, { key: this.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    }
  }
}

function base64urlJson(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
