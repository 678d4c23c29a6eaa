import type { Kysely } from 'kysely';
import { createCoalescer } from '../db/coalescer.js';
import type { Database } from '../db/types.js';
import { revokedAmong } from './grant-store.js';

/**
 * The access-token deny-list as introspection and /userinfo read it. Concurrent checks share one
 * `select … where jti = any($1)`; each check's statement starts after the check was asked (an item
 * never joins a batch already running, see db/coalescer.ts), so a revocation committed before the
 * request arrived is always seen: exactly as fresh as one query per request, with no cache.
 */
export interface RevokedJtis {
  isRevoked(jti: string): Promise<boolean>;
  /** Resolves once no lookup is queued or running. */
  settle(): Promise<void>;
}

/** One read in flight, as the audit writer (audit/group-writer.ts): about 14 checks a statement at 50 concurrent clients. */
const MAX_BATCH = 256;
const MAX_IN_FLIGHT = 1;

export function revokedJtiLookup(db: Kysely<Database>): RevokedJtis {
  const coalescer = createCoalescer(
    async (jtis: string[]) => {
      const revoked = await revokedAmong(db, [...new Set(jtis)]);
      return jtis.map((jti) => revoked.has(jti));
    },
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
  );
  return { isRevoked: (jti) => coalescer.submit(jti), settle: () => coalescer.settle() };
}
