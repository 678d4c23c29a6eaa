import { constants, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import type { SigningAlg } from './lifecycle.js';

/**
 * node:crypto's algorithm and key options for a JWS algorithm, the same for sign and verify:
 * P-1363 ECDSA signatures (RFC 7518 3.4), PSS with a 32-byte salt (RFC 7518 3.5).
 */
export function signatureArgs(alg: SigningAlg, key: KeyObject): [string | null, KeyObject | SignKeyObjectInput] {
  switch (alg) {
    case 'ES256':
      return ['sha256', { key, dsaEncoding: 'ieee-p1363' }];
    case 'EdDSA':
      return [null, key];
    case 'RS256':
      return ['sha256', key];
    case 'PS256':
      return ['sha256', { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }];
  }
}
