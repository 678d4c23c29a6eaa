import { randomUUID } from 'node:crypto';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { accessTokenHash } from '../../src/dpop/proof.js';

export interface ProofKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, publicJwk: await exportJWK(publicKey) };
}

export interface ProofOptions {
  htm?: string;
  htu?: string;
  iat?: number;
  jti?: string;
  accessToken?: string;
  nonce?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/** A DPoP proof made by hand (hostile variants through header/claims overrides). */
export async function makeProof(key: ProofKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    htm: options.htm ?? 'POST',
    htu: options.htu,
    jti: options.jti ?? randomUUID(),
    ...(options.accessToken !== undefined ? { ath: accessTokenHash(options.accessToken) } : {}),
    ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
    ...options.claims,
  };
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...options.header } as never)
    .setIssuedAt(iat)
    .sign(key.privateKey);
}

/** An unsigned JWT (alg none), which jose will not make. */
export function unsignedProof(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', typ: 'dpop+jwt', ...header })}.${encode(claims)}.`;
}
