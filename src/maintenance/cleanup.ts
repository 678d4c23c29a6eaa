import { sql, type Kysely } from 'kysely';
import type { Queryable } from '../db/queryable.js';
import { stopwatch, type Clock } from '../clock.js';
import type { Database } from '../db/types.js';

const BATCH_SIZE = 1000;
/** Time one sweep may spend on one table; what is left waits for the next sweep. */
const TABLE_BUDGET_MS = 60_000;
const DAY_MS = 86_400_000;

interface Sweep {
  table: string;
  key: string;
  /** SQL condition on the row; $1 is "now". */
  expired: (now: Date) => ReturnType<typeof sql>;
}

/**
 * What the cleanup removes. Consumed codes and refresh tokens are kept while they can still
 * reveal a replay (codes a day, refresh tokens as long as their family); revoked families stay
 * until they would have expired, for the admin view.
 */
const SWEEPS: Sweep[] = [
  { table: 'authorization_requests', key: 'id', expired: (now) => sql`expires_at < ${now}` },
  { table: 'auth_codes', key: 'code_hash', expired: (now) => sql`expires_at < ${new Date(now.getTime() - DAY_MS)}` },
  // Kept a day past expiry like codes, so a replayed device code still finds the grant to revoke.
  { table: 'device_authorizations', key: 'id', expired: (now) => sql`expires_at < ${new Date(now.getTime() - DAY_MS)}` },
  // Single-use WebAuthn challenges live 5 minutes; an abandoned ceremony leaves its row behind.
  { table: 'webauthn_challenges', key: 'cookie_hash', expired: (now) => sql`expires_at < ${now}` },
  { table: 'pushed_authorization_requests', key: 'request_uri_hash', expired: (now) => sql`expires_at < ${now}` },
  // Kept until the assertion expired (then exp refuses it anyway); the key is (client_id, jti), so rows go by ctid.
  { table: 'client_assertion_jtis', key: 'ctid', expired: (now) => sql`expires_at < ${now}` },
  { table: 'revoked_jtis', key: 'jti', expired: (now) => sql`expires_at < ${new Date(now.getTime() - DAY_MS)}` },
  // A proof's jti is needed only while the proof could be accepted (dpop/proof.ts: a minute or two).
  { table: 'dpop_proofs', key: 'key', expired: (now) => sql`expires_at < ${now}` },
  { table: 'grant_access_tokens', key: 'jti', expired: (now) => sql`expires_at < ${new Date(now.getTime() - DAY_MS)}` },
  { table: 'grants', key: 'id', expired: (now) => sql`least(idle_expires_at, absolute_expires_at) < ${new Date(now.getTime() - DAY_MS)}` },
  // A device cookie lives a year; the failures counted under its nonce are of no use after that.
  { table: 'login_device_failures', key: 'nonce', expired: (now) => sql`last_failed_at < ${new Date(now.getTime() - 366 * DAY_MS)}` },
  {
    table: 'login_sessions',
    key: 'id',
    expired: (now) => sql`(expires_at < ${now} or ended_at < ${new Date(now.getTime() - DAY_MS)} or last_seen_at < ${new Date(now.getTime() - 7 * DAY_MS)})`,
  },
];

/**
 * Deletes expired rows in small batches, each its own short statement, until a batch comes back
 * short: a backlog of any size (a flood of /authorize requests) is cleared in one sweep, bounded
 * per table by time rather than by a row count. SKIP LOCKED keeps it off rows a request holds,
 * so it never waits on (or blocks) the token path, and several instances can sweep at once
 * without colliding. Returns how many rows each table lost.
 */
export async function sweepExpired(q: Queryable, now: Date, tableBudgetMs = TABLE_BUDGET_MS, stopping: AbortSignal = new AbortController().signal): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  for (const sweep of SWEEPS) {
    removed[sweep.table] = 0;
    const elapsed = stopwatch();
    // A shutdown waits for at most the batch in flight, never for the rest of a backlog.
    while (!stopping.aborted) {
      const result = await sql`
        delete from ${sql.table(sweep.table)} where ${sql.ref(sweep.key)} in (
          select ${sql.ref(sweep.key)} from ${sql.table(sweep.table)}
          where ${sweep.expired(now)}
          limit ${BATCH_SIZE} for update skip locked
        )`.execute(q);
      const count = Number(result.numAffectedRows ?? 0n);
      removed[sweep.table]! += count;
      if (count < BATCH_SIZE || elapsed() >= tableBudgetMs) break;
    }
  }
  return removed;
}

export interface CleanupJob {
  stop(): Promise<void>;
}

export const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

export function startCleanup(db: Kysely<Database>, clock: Clock, log: { error(o: object, m: string): void; info(o: object, m: string): void }, intervalMs = CLEANUP_INTERVAL_MS): CleanupJob {
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  const run = () =>
    (running ??= sweepExpired(db, new Date(clock.now()), TABLE_BUDGET_MS, stopping.signal)
      .then((removed) => {
        if (Object.values(removed).some((n) => n > 0)) log.info({ removed }, 'cleanup removed expired rows');
      })
      .catch((error: unknown) => log.error({ err: error }, 'cleanup failed; will retry'))
      .finally(() => (running = undefined)));
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}
