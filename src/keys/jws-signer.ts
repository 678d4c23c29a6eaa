import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlg } from './lifecycle.js';
import { signatureArgs } from './signature-args.js';
import { inPoolBurst } from './pool-dispatch.js';

/**
 * Compact JWS signing with node:crypto: several times faster than WebCrypto for ES256, and the
 * token hot path signs on every request. Every format detail (P-1363 ECDSA signatures, PSS salt
 * length) matches what jose verifies; the tests check each algorithm against jose.jwtVerify.
 */
export class JwsSigner {
  private readonly key: KeyObject;
  /** The encoded protected header per `typ`: a signer signs with a handful of types, each many times. */
  private readonly headers = new Map<string, string>();

  constructor(
    readonly kid: string,
    readonly alg: SigningAlg,
    privateJwk: JWK,
  ) {
    this.key = createPrivateKey({ key: privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  }

  /** Signs `payload` with the header {alg, kid, typ}. */
  sign(payload: object, typ: string): string {
    const input = this.signingInput(payload, typ);
    const [algorithm, key] = signatureArgs(this.alg, this.key);
    return `${input}.${sign(algorithm, Buffer.from(input, 'ascii'), key).toString('base64url')}`;
  }

  /**
   * The same token, signed on one of libuv's pool threads instead of the event loop (node:crypto's
   * callback form, started with the turn's other pool jobs: inPoolBurst): the event loop only
   * builds the input and joins the result.
   */
  signOffLoop(payload: object, typ: string): Promise<string> {
    const input = this.signingInput(payload, typ);
    const [algorithm, key] = signatureArgs(this.alg, this.key);
    return inPoolBurst((resolve, reject) =>
      sign(algorithm, Buffer.from(input, 'ascii'), key, (error, signature) => (error ? reject(error) : resolve(`${input}.${signature.toString('base64url')}`))),
    );
  }

  private signingInput(payload: object, typ: string): string {
    let header = this.headers.get(typ);
    if (header === undefined) {
      header = base64urlJson({ alg: this.alg, kid: this.kid, typ });
      this.headers.set(typ, header);
    }
    return `${header}.${base64urlJson(payload)}`;
  }
}

function base64urlJson(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
