import type { JWK } from 'jose';
import type { Clock } from '../clock.js';
import { JwsSigner } from './jws-signer.js';
import { JwsVerifier } from './jws-verifier.js';
import type { KeyBox } from './crypto-box.js';
import { buildJwks, type JwksDocument } from './jwks.js';
import { keyState, nextTransitionAfter, pickSigningKey, type KeySchedule, type SigningAlg } from './lifecycle.js';
import type { StoredKey } from './store.js';

export class NoSigningKeyError extends Error {
  override name = 'NoSigningKeyError';
  constructor() {
    super('no active signing key');
  }
}

/** A published key, ready to verify with and (unless retired) to sign with. */
export interface RingKey extends KeySchedule {
  kid: string;
  alg: SigningAlg;
  publicJwk: JWK;
  /** Made once when the key is opened, kept across reloads with the rest of the key. */
  verifier: JwsVerifier;
  signer: JwsSigner;
}

interface RingView {
  computedAt: number;
  /** The view stays right until this moment, when some key changes state. */
  validUntil: number;
  signer?: JwsSigner;
  published: ReadonlyMap<string, RingKey>;
  algorithms: readonly SigningAlg[];
  jwks: JwksDocument;
  /** The published kids the JWKS was built from, in order: a reload that changes none keeps it. */
  jwksKids: string;
}

/**
 * The signing keys in memory. Reads go to a precomputed view that follows the clock across
 * state changes on its own; `reload` picks up rows changed by this or another instance.
 * An instance only ever signs with a key it also publishes, since both come from this ring.
 */
export class KeyRing {
  private keys: RingKey[] = [];
  private view: RingView;

  constructor(
    private readonly source: () => Promise<StoredKey[]>,
    private readonly box: KeyBox,
    private readonly clock: Clock,
  ) {
    this.view = this.computeView(clock.now());
  }

  /** Re-reads the keys. Throws KeyDecryptionError (and keeps the old ring) if one cannot be opened. */
  async reload(): Promise<void> {
    const stored = await this.source();
    const now = this.clock.now();
    const known = new Map(this.keys.map((key) => [key.kid, key]));
    const keys: RingKey[] = [];
    for (const row of stored) {
      if (keyState(row, now) === 'removed') continue;
      const schedule = { activatesAt: row.activatesAt, retiresAt: row.retiresAt, removesAt: row.removesAt };
      const existing = known.get(row.kid);
      keys.push(existing ? { ...existing, ...schedule } : this.open(row));
    }
    this.keys = keys;
    this.view = this.computeView(now);
  }

  /** Schedules of every key held (not removed), for rotation decisions. */
  schedules(): readonly (KeySchedule & { kid: string; alg: SigningAlg })[] {
    return this.keys;
  }

  /** The signer of the active key. Throws NoSigningKeyError when none is active. */
  signer(): JwsSigner {
    const signer = this.current().signer;
    if (!signer) throw new NoSigningKeyError();
    return signer;
  }

  /** A key that is published right now, by kid. */
  publishedKey(kid: string): RingKey | undefined {
    return this.current().published.get(kid);
  }

  publishedAlgorithms(): readonly SigningAlg[] {
    return this.current().algorithms;
  }

  jwks(): JwksDocument {
    return this.current().jwks;
  }

  private current(): RingView {
    const now = this.clock.now();
    if (now >= this.view.validUntil || now < this.view.computedAt) {
      this.view = this.computeView(now);
    }
    return this.view;
  }

  private computeView(now: number): RingView {
    const published = this.keys
      .filter((key) => keyState(key, now) !== 'removed')
      .sort((a, b) => b.activatesAt - a.activatesAt || a.kid.localeCompare(b.kid));
    // A kid names one public key for good, so the same kids in the same order are the same JWKS
    // (same body, same ETag): the periodic reload keeps the document instead of rebuilding it.
    const jwksKids = published.map((key) => key.kid).join(' ');
    const previous = this.view as RingView | undefined;
    return {
      computedAt: now,
      validUntil: nextTransitionAfter(this.keys, now),
      signer: pickSigningKey(published, now)?.signer,
      published: new Map(published.map((key) => [key.kid, key])),
      algorithms: [...new Set(published.map((key) => key.alg))],
      jwks: previous?.jwksKids === jwksKids ? previous.jwks : buildJwks(published.map((key) => key.publicJwk)),
      jwksKids,
    };
  }

  private open(row: StoredKey): RingKey {
    const privateJwk = JSON.parse(this.box.open(row.privateKeyEncrypted, row.kid)) as JWK;
    return {
      kid: row.kid,
      alg: row.alg,
      publicJwk: row.publicJwk,
      activatesAt: row.activatesAt,
      retiresAt: row.retiresAt,
      removesAt: row.removesAt,
      verifier: new JwsVerifier(row.alg, row.publicJwk),
      signer: new JwsSigner(row.kid, row.alg, privateJwk),
    };
  }
}
