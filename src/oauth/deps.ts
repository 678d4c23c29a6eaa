import type { Kysely } from 'kysely';
import type { ClientAssertionChecks } from '../clients/auth-methods/assertion-checks.js';
import type { ClientCache } from '../clients/cache.js';
import type { AuditWriter } from '../audit/group-writer.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/types.js';
import type { TokenContext } from '../tokens/context.js';
import type { RevokedJtis } from '../tokens/revoked-jtis.js';
import type { Rotations } from '../tokens/rotation-batcher.js';
import type { DpopVerifier } from '../dpop/verifier.js';

/** What the OAuth and login routes need. */
export interface OAuthDeps {
  db: Kysely<Database>;
  /**
   * Clients for the hot paths (client authentication, the browser endpoints). Decisions that must
   * see a change at once read the row instead (admin guard, client_credentials token liveness).
   */
  clients: ClientCache;
  config: Config;
  clock: Clock;
  tokens: TokenContext;
  /** Keys refresh-token successors (tokens/refresh-successor.ts); derived from KEY_ENCRYPTION_KEY at start-up. */
  refreshSuccessorKey: Buffer;
  /**
   * Audit events outside any transaction, group-committed (audit/group-writer.ts). An event that
   * describes a transaction's change goes through recordAudit(trx, …) instead.
   */
  audit: AuditWriter;
  /** The access-token deny-list, read fresh per request in shared batches (tokens/revoked-jtis.ts). */
  revokedJtis: RevokedJtis;
  /** Refresh rotations, concurrent ones in one statement and one commit (tokens/rotation-batcher.ts). */
  rotations: Rotations;
  /** DPoP proofs (RFC 9449): checks, server nonces and the shared replay store (dpop/verifier.ts). */
  dpop: DpopVerifier;
  /** private_key_jwt: the clients' key cache and the assertion jti store (clients/assertion-context.ts). */
  clientAssertions: ClientAssertionChecks;
}
