import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningAlg } from './lifecycle.js';

export interface GeneratedKey {
  kid: string;
  alg: SigningAlg;
  /** Public members plus kid, alg and use; safe to publish. */
  publicJwk: JWK;
  /** The full private JWK; only ever stored encrypted. */
  privateJwk: JWK;
}

/** The members each key type may show in a JWKS: nothing that is part of the private key. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};
const PUBLISHED_METADATA = ['kid', 'alg', 'use'] as const;

/** Copies only the public members of a JWK (and kid/alg/use); throws for an unknown key type. */
export function toPublicJwk(jwk: JWK): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''];
  if (!members) throw new Error(`unsupported key type ${jwk.kty}`);
  const source = jwk as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const name of [...members, ...PUBLISHED_METADATA]) {
    if (source[name] !== undefined) result[name] = source[name];
  }
  return result as JWK;
}

function generationOptions(alg: SigningAlg) {
  if (alg === 'RS256' || alg === 'PS256') return { extractable: true, modulusLength: 2048 };
  if (alg === 'EdDSA') return { extractable: true, crv: 'Ed25519' };
  return { extractable: true };
}

/** A new key pair for `alg`, named by its RFC 7638 thumbprint. */
export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, generationOptions(alg));
  const publicMembers = toPublicJwk(await exportJWK(publicKey));
  const kid = await calculateJwkThumbprint(publicMembers, 'sha256');
  return {
    kid,
    alg,
    publicJwk: { ...publicMembers, kid, alg, use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
  };
}
