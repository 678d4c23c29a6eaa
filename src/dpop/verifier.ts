import type { Kysely } from 'kysely';
import { epochSeconds, type Clock } from '../clock.js';
import { createCoalescer } from '../db/coalescer.js';
import type { Database } from '../db/types.js';
import type { DpopNonces } from './nonce.js';
import { checkDpopProof, proofAcceptedUntil, type ProofRefusal, type ValidProof } from './proof.js';
import { proofKey, recordProofsUsed } from './replay-store.js';

/** DPOP_NONCE: `required` refuses proofs without a current nonce; `off` (the default) checks a nonce only when a proof carries one. */
export type DpopNoncePolicy = 'required' | 'off';

export interface DpopSettings {
  nonce: DpopNoncePolicy;
  clockToleranceSeconds: number;
}

export type DpopRefusal = ProofRefusal | 'replayed' | 'nonce';

export type DpopVerification =
  | { ok: true; proof: ValidProof }
  /** `nonce`: answer use_dpop_nonce with a fresh DPoP-Nonce; anything else is invalid_dpop_proof. */
  | { ok: false; reason: DpopRefusal; detail: string };

export interface DpopProofRequest {
  headers: readonly string[];
  method: string;
  url: string;
  accessToken?: string;
}

/** Checks proofs (RFC 9449 4.3) for /token and the resources, with the nonce policy and the replay store. */
export interface DpopVerifier {
  verify(request: DpopProofRequest): Promise<DpopVerification>;
  /** The nonce to send in DPoP-Nonce now. */
  currentNonce(): string;
  /** Resolves once no replay check is queued or running (the app's onClose). */
  settle(): Promise<void>;
}

const MAX_BATCH = 256;

export function dpopVerifier(db: Kysely<Database>, clock: Clock, nonces: DpopNonces, settings: DpopSettings): DpopVerifier {
  // Concurrent proofs share one INSERT (and one commit), as the audit writer's events do.
  const replays = createCoalescer((batch: { key: string; expiresAt: Date }[]) => recordProofsUsed(db, batch), { maxBatch: MAX_BATCH, maxInFlight: 2 });
  const tolerance = settings.clockToleranceSeconds;
  return {
    async verify(request) {
      const now = epochSeconds(clock);
      const checked = await checkDpopProof({ ...request, now, toleranceSeconds: tolerance });
      if (!checked.ok) return checked;
      const { proof } = checked;
      if (proof.nonce !== undefined ? !nonces.accepts(proof.nonce, now) : settings.nonce === 'required') {
        return { ok: false, reason: 'nonce', detail: proof.nonce === undefined ? 'a server nonce is required' : 'the nonce is stale or unknown' };
      }
      // Last, so that a refused proof never takes a row: only a proof that would be accepted is spent.
      const fresh = await replays.submit({ key: proofKey(proof.jkt, proof.jti), expiresAt: new Date(proofAcceptedUntil(proof.iat, tolerance) * 1000) });
      if (!fresh) return { ok: false, reason: 'replayed', detail: 'the proof was used before' };
      return { ok: true, proof };
    },
    currentNonce: () => nonces.current(epochSeconds(clock)),
    settle: () => replays.settle(),
  };
}
