import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A WebAuthn authenticator in the test process (ES256, "none" attestation), for hand-made
 * payloads: every field of clientDataJSON and authenticatorData can be bent to test refusals.
 * The browser suites use Chromium's CDP virtual authenticator instead; this one checks nothing
 * Latchkey should check, so the server must.
 */

const FLAG = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 } as const;

export interface AssertionOverrides {
  origin?: string;
  rpId?: string;
  type?: string;
  challenge?: string;
  counter?: number;
  userVerified?: boolean;
  /** Changes clientDataJSON after signing (the signature then covers other bytes). */
  tamperClientData?: (json: string) => string;
  /** Sign these bytes instead of authenticatorData || SHA-256(clientDataJSON). */
  signOver?: Buffer;
  userHandle?: string | null;
  credentialId?: string;
}

export class SoftwareAuthenticator {
  readonly privateKey: KeyObject;
  readonly publicJwk: { x: string; y: string };
  readonly credentialId = randomBytes(32).toString('base64url');
  counter: number;

  constructor(
    readonly rp: { id: string; origin: string },
    readonly options: { backupEligible?: boolean; backedUp?: boolean; counts?: boolean } = {},
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.publicJwk = { x: jwk.x!, y: jwk.y! };
    this.counter = 0;
  }

  private coseKey(): Uint8Array {
    return isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(this.publicJwk.x, 'base64url')],
        [-3, Buffer.from(this.publicJwk.y, 'base64url')],
      ]),
    );
  }

  private flags(userVerified: boolean, attested: boolean): number {
    let flags = FLAG.up;
    if (userVerified) flags |= FLAG.uv;
    if (this.options.backupEligible) flags |= FLAG.be;
    if (this.options.backedUp) flags |= FLAG.bs;
    if (attested) flags |= FLAG.at;
    return flags;
  }

  private authData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Buffer {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    const parts = [createHash('sha256').update(rpId).digest(), Buffer.from([flags]), counterBytes];
    if (attested) parts.push(Buffer.from(attested));
    return Buffer.concat(parts);
  }

  /** The answer to registration options (navigator.credentials.create), as @simplewebauthn/browser sends it. */
  register(options: { challenge: string }, overrides: { origin?: string; rpId?: string; userVerified?: boolean } = {}) {
    const credentialId = Buffer.from(this.credentialId, 'base64url');
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, credentialId, Buffer.from(this.coseKey())]);
    const authData = this.authData(overrides.rpId ?? this.rp.id, this.flags(overrides.userVerified ?? true, true), this.counter, attested);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]) as never);
    const clientDataJSON = JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: overrides.origin ?? this.rp.origin, crossOrigin: false });
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: Buffer.from(clientDataJSON).toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** An assertion over `options.challenge` (navigator.credentials.get), counting up when it counts. */
  assert(options: { challenge: string }, userHandle: string | null, overrides: AssertionOverrides = {}) {
    if (this.options.counts && overrides.counter === undefined) this.counter += 1;
    const counter = overrides.counter ?? this.counter;
    const authData = this.authData(overrides.rpId ?? this.rp.id, this.flags(overrides.userVerified ?? true, false), counter);
    const clientDataJSON = JSON.stringify({
      type: overrides.type ?? 'webauthn.get',
      challenge: overrides.challenge ?? options.challenge,
      origin: overrides.origin ?? this.rp.origin,
      crossOrigin: false,
    });
    const signed = overrides.signOver ?? Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
    const signature = sign('sha256', signed, this.privateKey);
    const sentClientData = overrides.tamperClientData ? overrides.tamperClientData(clientDataJSON) : clientDataJSON;
    const handle = overrides.userHandle === undefined ? userHandle : overrides.userHandle;
    return {
      id: overrides.credentialId ?? this.credentialId,
      rawId: overrides.credentialId ?? this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: Buffer.from(sentClientData).toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(handle === null ? {} : { userHandle: handle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
