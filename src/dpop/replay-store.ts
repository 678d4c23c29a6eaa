import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Queryable } from '../db/queryable.js';

/**
 * RFC 9449 11.1: each proof is accepted once. Keyed by the key's thumbprint and the proof's jti
 * (hashed: fixed length, whatever the client chose), kept until no proof with that iat could be
 * accepted any more; the cleanup job (maintenance/cleanup.ts) deletes what expired.
 */
export function proofKey(jkt: string, jti: string): string {
  return createHash('sha256').update(`${jkt}.${jti}`).digest('base64url');
}

/**
 * Records proofs as used, in one statement for a whole batch (see verifier.ts). Returns, per
 * proof, whether this call recorded it: false means another request (on any instance) already
 * used it. The primary key decides, so of two concurrent uses exactly one inserts.
 */
export async function recordProofsUsed(q: Queryable, proofs: readonly { key: string; expiresAt: Date }[]): Promise<boolean[]> {
  if (proofs.length === 0) return [];
  const { rows } = await sql<{ key: string }>`
    insert into dpop_proofs (key, expires_at)
    select key, expires_at from unnest(${proofs.map((p) => p.key)}::text[], ${proofs.map((p) => p.expiresAt.toISOString())}::timestamptz[]) as p(key, expires_at)
    on conflict (key) do nothing
    returning key`.execute(q);
  const inserted = new Set(rows.map((row) => row.key));
  // The same key twice in one batch: only its first occurrence may count as new.
  const seen = new Set<string>();
  return proofs.map((p) => {
    const first = inserted.has(p.key) && !seen.has(p.key);
    seen.add(p.key);
    return first;
  });
}
