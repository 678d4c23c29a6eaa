import type { Kysely } from 'kysely';
import { createCoalescer } from '../db/coalescer.js';
import type { Database } from '../db/types.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { rotateRefreshTokens, type RefreshedGrant, type RotationInput } from './refresh-store.js';

/** Refresh rotations as the token endpoint runs them: concurrent ones share a statement. */
export interface Rotations {
  /** The rotation of one request, with the outcome it would have alone (rotateRefreshTokens). */
  rotate(input: RotationInput): Promise<RefreshedGrant | undefined>;
  /** Resolves once no rotation is queued or running (shutdown: before the database closes). */
  settle(): Promise<void>;
}

type Outcome = { ok: true; rotated: RefreshedGrant | undefined } | { ok: false; error: unknown };

/**
 * Group commit for refresh rotations, as the audit writer does for events (db/coalescer.ts: no
 * timer; an idle server runs a rotation at once, alone). Each rotation is still all-or-nothing and
 * durable before its response: its rows commit together with the others of its statement, and a
 * response is only sent once that commit is done. When the statement fails because the database is
 * unavailable, every request in it fails (503) and nothing of theirs was written, so each can
 * simply retry; any other failure reruns each rotation alone, so that one bad input fails only
 * its own request. Two statements in flight, so that one's commit (a WAL flush) overlaps the
 * next's work; 64 rotations at most in one.
 */
export function rotationBatcher(db: Kysely<Database>): Rotations {
  async function rotateBatch(inputs: RotationInput[]): Promise<Outcome[]> {
    try {
      return (await rotateRefreshTokens(db, inputs)).map((rotated) => ({ ok: true, rotated }));
    } catch (error) {
      if (inputs.length === 1 || isDatabaseUnavailable(error)) throw error;
      return Promise.all(
        inputs.map((input) =>
          rotateRefreshTokens(db, [input]).then(
            ([rotated]): Outcome => ({ ok: true, rotated }),
            (alone: unknown): Outcome => ({ ok: false, error: alone }),
          ),
        ),
      );
    }
  }
  const coalescer = createCoalescer(rotateBatch, { maxBatch: 64, maxInFlight: 2 });
  return {
    async rotate(input) {
      const outcome = await coalescer.submit(input);
      if (!outcome.ok) throw outcome.error;
      return outcome.rotated;
    },
    settle: () => coalescer.settle(),
  };
}
